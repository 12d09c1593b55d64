/**
 * The master config the CLI tests write: salt-apid on 127.0.0.1 over plain HTTP, pointed at a master
 * (usually a demo master) on this machine.
 */
export interface MasterConfigOptions {
  retPort: number;
  /** Left out when the config sets `root_dir` and the master's sockets are where it puts them. */
  sockDir?: string;
  port: number;
  /** Top-level lines (before `rest_cherrypy:`): api_logfile, external_auth, root_dir… */
  top?: string[];
  /** Lines of the `rest_cherrypy:` section, without their indentation. */
  rest?: string[];
}

export function masterConfigText(options: MasterConfigOptions): string {
  return [
    'interface: 127.0.0.1',
    `ret_port: ${options.retPort}`,
    ...(options.sockDir === undefined ? [] : [`sock_dir: ${options.sockDir}`]),
    ...(options.top ?? []),
    'rest_cherrypy:',
    `  port: ${options.port}`,
    '  host: 127.0.0.1',
    '  disable_ssl: true',
    ...(options.rest ?? []).map((line) => `  ${line}`),
    '',
  ].join('\n');
}
