import type { SaltMap, SaltValue } from '../salt/codec/values.js';
import { authorizeCall } from './authorize-call.js';
import { runLow, type MasterFunction } from './client-low.js';
import { isoStamp } from './clock.js';
import { pythonStr } from '../python/repr.js';
import { generateKeyPairPem, KEY_STATUSES, pemFinger, type KeyStatus } from './keys.js';
import type { MasterContext } from './master-context.js';
import { emptyDict, ownValue } from '../dict.js';
import { errorMessage } from '../error-fields.js';

/**
 * `ClearFuncs.wheel`: authenticate, check `@wheel` rights, run the wheel function inside the
 * request and answer `{tag, data}` with its result; the key and minion wheel modules.
 */

const LIST_STATUS: Record<string, KeyStatus[]> = {
  pre: ['minions_pre'],
  un: ['minions_pre'],
  unaccepted: ['minions_pre'],
  acc: ['minions'],
  accepted: ['minions'],
  rej: ['minions_rejected'],
  rejected: ['minions_rejected'],
  den: ['minions_denied'],
  denied: ['minions_denied'],
  all: [...KEY_STATUSES],
};

// eslint-disable-next-line max-lines-per-function -- a data table: the wheel functions over their shared context.
function wheelFunctions(ctx: MasterContext): Map<string, MasterFunction> {
  const { keys } = ctx;
  const flip = (match: SaltValue, from: readonly KeyStatus[], to: KeyStatus, act: string): SaltMap => {
    const matches = keys.nameMatch(match);
    for (const status of from) {
      for (const id of matches[status] ?? []) {
        keys.set(id, to);
        ctx.fire('salt/key', { result: true, act, id });
      }
    }
    return keys.nameMatch(match);
  };
  const finger = async (match: SaltValue, hashType: SaltValue): Promise<SaltMap> => {
    const out: SaltMap = {};
    for (const [status, ids] of Object.entries(keys.nameMatch(match, true))) {
      const prints = emptyDict<SaltValue>();
      for (const id of ids)
        prints[id] = pemFinger(await keys.pem(id), hashType === null ? ctx.hashType : pythonStr(hashType));
      out[status] = prints;
    }
    return out;
  };
  const matchParam = [{ name: 'match' }];

  const functions: Record<string, MasterFunction> = {
    'key.list_all': {
      sig: { pyName: 'list_all', params: [] },
      doc: 'List all the keys',
      call: () => keys.listAll(),
    },
    'key.list': {
      sig: { pyName: 'list_', params: matchParam },
      doc: 'List all the keys under a named status',
      call: ({ values }) => {
        const statuses = ownValue(LIST_STATUS, pythonStr(values['match'])) ?? [];
        return Object.fromEntries(statuses.map((s) => [s, keys.idsWith(s)]));
      },
    },
    'key.name_match': {
      sig: { pyName: 'name_match', params: [...matchParam, { name: 'full', default: false }] },
      doc: 'List all the keys based on a glob match',
      call: ({ values }) => keys.nameMatch(values['match'], values['full'] === true),
    },
    'key.accept': {
      sig: {
        pyName: 'accept',
        params: [
          ...matchParam,
          { name: 'include_rejected', default: false },
          { name: 'include_denied', default: false },
        ],
      },
      doc: 'Accept keys based on a glob match',
      call: ({ values }) => {
        const from: KeyStatus[] = ['minions_pre'];
        if (values['include_rejected'] === true) from.push('minions_rejected');
        if (values['include_denied'] === true) from.push('minions_denied');
        return flip(values['match'], from, 'minions', 'accept');
      },
    },
    'key.reject': {
      sig: {
        pyName: 'reject',
        params: [
          ...matchParam,
          { name: 'include_accepted', default: false },
          { name: 'include_denied', default: false },
        ],
      },
      doc: 'Reject keys based on a glob match',
      call: ({ values }) => {
        const from: KeyStatus[] = ['minions_pre'];
        if (values['include_accepted'] === true) from.push('minions');
        if (values['include_denied'] === true) from.push('minions_denied');
        return flip(values['match'], from, 'minions_rejected', 'reject');
      },
    },
    'key.delete': {
      sig: { pyName: 'delete', params: matchParam },
      doc: 'Delete keys based on a glob match',
      call: ({ values }) => {
        const match = values['match'];
        for (const ids of Object.values(keys.nameMatch(match))) {
          for (const id of ids) {
            keys.delete(id);
            ctx.fire('salt/key', { result: true, act: 'delete', id });
          }
        }
        return keys.nameMatch(match);
      },
    },
    'key.finger': {
      sig: { pyName: 'finger', params: [...matchParam, { name: 'hash_type', default: null }] },
      doc: 'Return the matching key fingerprints',
      call: ({ values }) => finger(values['match'], values['hash_type']),
    },
    'key.finger_master': {
      sig: { pyName: 'finger_master', params: [{ name: 'hash_type', default: null }] },
      doc: "Return the fingerprint of the master's public key",
      call: ({ values }) => finger('master.pub', values['hash_type']),
    },
    'key.key_str': {
      sig: { pyName: 'key_str', params: matchParam },
      doc: 'Return information about the key',
      call: async ({ values }) => {
        const out: SaltMap = {};
        for (const [status, ids] of Object.entries(keys.nameMatch(values['match']))) {
          const pems = emptyDict<SaltValue>();
          for (const id of ids) pems[id] = await keys.pem(id);
          out[status] = pems;
        }
        return out;
      },
    },
    'key.gen': {
      sig: {
        pyName: 'gen',
        params: [
          { name: 'id_', default: null },
          { name: 'keysize', default: 2048 },
        ],
      },
      doc: 'Generate a key pair. No keys are stored on the master',
      call: async ({ values }) => ({ ...(await generateKeyPairPem(Number(values['keysize']))) }),
    },
    'key.gen_accept': {
      sig: {
        pyName: 'gen_accept',
        params: [{ name: 'id_' }, { name: 'keysize', default: 2048 }, { name: 'force', default: false }],
      },
      doc: 'Generate a key pair then accept the public key',
      call: async ({ values }) => {
        const id = pythonStr(values['id_']);
        const pair = await generateKeyPairPem(Number(values['keysize']));
        if (keys.statusOf(id) === 'minions' && values['force'] !== true) return {};
        keys.set(id, 'minions', pair);
        return { ...pair };
      },
    },
    'minions.connected': {
      sig: { pyName: 'connected', params: [] },
      doc: 'List all connected minions on a salt-master',
      call: () => keys.idsWith('minions').filter((id) => ctx.fleet.isRunning(id)),
    },
    'config.values': {
      sig: { pyName: 'values', params: [] },
      doc: 'Return the raw values of the config file',
      call: () => ({ ...ctx.config }),
    },
  };
  return new Map(Object.entries(functions));
}

export class WheelService {
  private readonly functions: Map<string, MasterFunction>;

  constructor(private readonly ctx: MasterContext) {
    this.functions = wheelFunctions(ctx);
  }

  async wheel(load: SaltMap): Promise<SaltValue> {
    const call = await authorizeCall(this.ctx, load, 'wheel');
    if (!call.authorized) return call.reply;
    const { fun, username, sensitiveKeys } = call;

    const low: SaltMap = { ...load };
    for (const key of [...sensitiveKeys, 'fun', '__jid__', '__tag__', '__user__']) delete low[key];
    const jid = this.ctx.jids.next();
    const tag = `salt/wheel/${jid}`;
    const data: SaltMap = { fun: `wheel.${fun}`, jid, tag, user: username };
    const { fire, signal } = this.ctx;
    // 3006/3007: the master's own pair around a job that runs (and fires) under the caller's jid.
    const callerJid =
      this.ctx.wheelCallerJid === 'honoured' && typeof load['__jid__'] === 'string' ? load['__jid__'] : undefined;
    if (callerJid !== undefined) fire(`${tag}/new`, { ...data, _stamp: isoStamp() });
    try {
      const runJid = callerJid ?? jid;
      const full = await runLow({
        client: 'wheel',
        fun,
        low,
        user: username,
        jid: runJid,
        functions: this.functions,
        fire,
        signal,
      });
      if (callerJid !== undefined)
        fire(`${tag}/ret`, { ...data, return: full['return'], success: full['success'], _stamp: isoStamp() });
      data['return'] = full['return'];
      data['success'] = full['success'];
    } catch (err) {
      if (signal.aborted) throw err;
      const name = err instanceof Error ? err.name : 'Exception';
      const message = errorMessage(err);
      data['return'] = `Exception occurred in wheel ${fun}: ${name}: ${message}`;
      data['success'] = false;
      data['_stamp'] = isoStamp();
      fire(`${tag}/ret`, { ...data });
    }
    return { tag, data };
  }
}
