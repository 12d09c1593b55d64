/**
 * The runner functions of Salt's own runner modules (3008 development line) with their
 * parameter names; `**` marks a function that takes arbitrary keywords. salt-api imports these
 * modules and fits every call to the function's signature, silently dropping keywords it does
 * not accept (`salt.minion.load_args_and_kwargs(..., ignore_invalid=True)`); salt-apid cannot
 * import Python, so it keeps this table instead (runner.ts explains what happens to names that
 * are not in it).
 */
const SIGNATURES = `
auth.mk_token **
auth.del_token token
batch.status jid
batch.list_active
batch.stop jid kill
cache.grains tgt tgt_type **
cache.pillar tgt tgt_type **
cache.mine tgt tgt_type **
cache.clear_pillar tgt tgt_type
cache.clear_grains tgt tgt_type
cache.clear_mine tgt tgt_type
cache.clear_mine_func tgt tgt_type clear_mine_func_flag
cache.clear_all tgt tgt_type
cache.clear_git_lock role remote **
cache.cloud tgt provider
cache.store bank key data cachedir
cache.list bank cachedir
cache.fetch bank key cachedir
cache.flush bank key cachedir
cache.migrate src_driver dst_driver bank cachedir dry_run
cluster.members
cluster.rings
cluster.routes
cluster.sync_roots roots
cluster.ring_info
cluster.ring_create name voters
cluster.ring_destroy name
cluster.route_set data_type ring
cluster.route_clear data_type
cluster.shed_unowned ring banks subbank_template driver dry_run
cluster.shed_unowned_all ring banks subbank_template driver dry_run
cluster.shed_status
cluster.collect_from_peers channels banks
cluster.ring_set name members replicas
cluster.migrate_jobs_to_cache dry_run
config.get key default delimiter
doc.runner
doc.wheel
doc.execution
error.error name message
event.send tag data
fileserver.envs backend sources
fileserver.clear_file_list_cache saltenv backend
fileserver.file_list saltenv backend
fileserver.symlink_list saltenv backend
fileserver.dir_list saltenv backend
fileserver.empty_dir_list saltenv backend
fileserver.update backend **
fileserver.clear_cache backend
fileserver.clear_lock backend remote
fileserver.lock backend remote
git_pillar.update branch repo
http.query url output **
http.update_ca_bundle target source merge_files
jobs.master
jobs.active display_progress
jobs.lookup_jid jid ext_source returned missing display_progress
jobs.list_job jid ext_source display_progress
jobs.list_jobs ext_source outputter search_metadata search_function search_target start_time end_time display_progress
jobs.list_jobs_filter count filter_find_job ext_source outputter display_progress
jobs.print_job jid ext_source
jobs.exit_success jid ext_source
jobs.last_run ext_source outputter metadata function target display_progress
manage.status output tgt tgt_type timeout gather_job_timeout
manage.key_regen
manage.down removekeys tgt tgt_type timeout gather_job_timeout
manage.up tgt tgt_type timeout gather_job_timeout
manage.list_state subset show_ip
manage.list_not_state subset show_ip
manage.present subset show_ip
manage.not_present subset show_ip
manage.joined subset show_ip
manage.not_joined subset show_ip
manage.allowed subset show_ip
manage.not_allowed subset show_ip
manage.alived subset show_ip
manage.not_alived subset show_ip
manage.reaped subset show_ip
manage.not_reaped subset show_ip
manage.safe_accept target tgt_type
manage.versions
manage.bootstrap version script hosts script_args roster ssh_user ssh_password ssh_priv_key tmp_dir http_backend
manage.bootstrap_psexec hosts master version arch installer_url username password
match.compound_matches expr minion_id
mine.get tgt fun tgt_type
mine.update tgt tgt_type clear mine_functions
net.interfaces device interface title pattern ipnet best display
net.findarp device interface mac ip display
net.findmac device mac interface vlan display
net.lldp device interface title pattern chassis display
net.find addr best display
net.multi_find **
network.wollist maclist bcast destport
network.wol mac bcast destport
network.wolmatch tgt tgt_type bcast destport
pillar.show_top minion saltenv
pillar.show_pillar minion **
pillar.clear_pillar_cache minion **
pillar.show_pillar_cache minion **
pki.migrate_to_mmap dry_run
pki.status
queue.insert queue items backend
queue.delete queue items backend
queue.list_queues backend
queue.list_length queue backend
queue.list_items queue backend
queue.pop queue quantity backend is_runner
queue.process_queue queue quantity backend is_runner
queue.insert_runner fun args kwargs queue backend
queue.process_runner quantity queue backend
reactor.list saltenv test
reactor.add event reactors saltenv test
reactor.delete event saltenv test
reactor.is_leader
reactor.set_leader value
resource.show_grains type id
resource.list_grains
resource.refresh minion
salt.cmd fun **
salt.execute tgt fun arg timeout tgt_type ret jid kwarg **
saltutil.sync_all saltenv extmod_whitelist extmod_blacklist
saltutil.sync_modules saltenv extmod_whitelist extmod_blacklist
saltutil.sync_states saltenv extmod_whitelist extmod_blacklist
saltutil.sync_grains saltenv extmod_whitelist extmod_blacklist
saltutil.sync_renderers saltenv extmod_whitelist extmod_blacklist
saltutil.sync_returners saltenv extmod_whitelist extmod_blacklist
saltutil.sync_output saltenv extmod_whitelist extmod_blacklist
saltutil.sync_proxymodules saltenv extmod_whitelist extmod_blacklist
saltutil.sync_runners saltenv extmod_whitelist extmod_blacklist
saltutil.sync_wheel saltenv extmod_whitelist extmod_blacklist
saltutil.sync_engines saltenv extmod_whitelist extmod_blacklist
saltutil.sync_thorium saltenv extmod_whitelist extmod_blacklist
saltutil.sync_queues saltenv extmod_whitelist extmod_blacklist
saltutil.sync_pillar saltenv extmod_whitelist extmod_blacklist
saltutil.sync_utils saltenv extmod_whitelist extmod_blacklist
saltutil.sync_sdb saltenv extmod_whitelist extmod_blacklist
saltutil.sync_tops saltenv extmod_whitelist extmod_blacklist
saltutil.sync_cache saltenv extmod_whitelist extmod_blacklist
saltutil.sync_fileserver saltenv extmod_whitelist extmod_blacklist
saltutil.sync_clouds saltenv extmod_whitelist extmod_blacklist
saltutil.sync_roster saltenv extmod_whitelist extmod_blacklist
saltutil.sync_eauth_tokens saltenv extmod_whitelist extmod_blacklist
saltutil.sync_serializers saltenv extmod_whitelist extmod_blacklist
saltutil.sync_executors saltenv extmod_whitelist extmod_blacklist
saltutil.sync_wrapper saltenv extmod_whitelist extmod_blacklist
sdb.get uri
sdb.set uri value
sdb.delete uri
sdb.get_or_set_hash uri length chars
ssh.cmd tgt fun arg timeout tgt_type kwarg
state.pause jid state_id duration
state.resume jid state_id
state.soft_kill jid state_id
state.orchestrate mods saltenv test exclude pillar pillarenv pillar_enc orchestration_jid
state.orchestrate_single fun name test queue pillar **
state.orchestrate_high data test queue pillar **
state.orchestrate_show_sls mods saltenv test queue pillar pillarenv pillar_enc
state.graph mods tgt tgt_type saltenv test pillar pillarenv pillar_enc timeout
state.graph_highstate tgt tgt_type pillar pillarenv pillar_enc timeout
state.event tagmatch count quiet sock_dir pretty node
state.set_pause jid state_id duration
state.rm_pause jid state_id
state.orch mods saltenv test exclude pillar pillarenv pillar_enc orchestration_jid
state.sls mods saltenv test exclude pillar pillarenv pillar_enc orchestration_jid
state.orch_show_sls mods saltenv test queue pillar pillarenv pillar_enc
survey.hash **
survey.diff **
test.arg **
test.raw_arg **
test.metasyntactic locality
test.stdout_print
test.sleep s_time
test.stream
test.get_opts
winrepo.genrepo opts fire_event
winrepo.update_git_repos opts clean masterless
`;

export interface RunnerSignature {
  /** Names accepted as keywords (Python's positional-or-keyword and keyword-only parameters). */
  params: readonly string[];
  /** True when the function also takes `**kwargs`. */
  anyKeyword: boolean;
}

function parse(table: string): Map<string, RunnerSignature> {
  const out = new Map<string, RunnerSignature>();
  for (const line of table.split('\n')) {
    const [name, ...params] = line.trim().split(' ');
    if (!name) continue;
    const anyKeyword = params.at(-1) === '**';
    out.set(name, { params: anyKeyword ? params.slice(0, -1) : params, anyKeyword });
  }
  return out;
}

export const RUNNER_FUNCTIONS: ReadonlyMap<string, RunnerSignature> = parse(SIGNATURES);
