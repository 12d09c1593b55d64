/**
 * TLS as the start checks it (src/http/transport/tls.ts), every problem told: the cipher list, then
 * `ssl_crt` and `ssl_key` each (missing, unreadable), then, when both can be read, everything else
 * tlsOptions refuses (no PEM, a key that does not match, an unusable chain or CA). Nothing listens.
 */
import type { RestSettings } from '../config/types.js';
import { DEFAULT_SSL_CIPHERS } from '../config/rest-settings.js';
import { ALLOWED_CN_UNREQUESTED, checkCipherList, readPem, tlsOptions } from '../http/transport/tls.js';
import { StartupError } from '../startup-error.js';
import type { Locator, Problems } from './problems.js';

/** The StartupError message of `step`, or undefined when it passes. */
async function refusalOf(step: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await step();
    return undefined;
  } catch (error) {
    if (error instanceof StartupError) return error.message;
    throw error;
  }
}

/** The `ssl_*` options that are set although `disable_ssl` makes them unused. */
function unusedTlsOptions(rest: RestSettings): string[] {
  const set: Array<[string, unknown]> = [
    ['ssl_crt', rest.sslCrt],
    ['ssl_key', rest.sslKey],
    ['ssl_chain', rest.sslChain],
    ['ssl_ca_certs', rest.sslCaCerts],
    ['ssl_cert_reqs', rest.sslCertReqs],
  ];
  return set.filter(([, value]) => value !== undefined && value !== '').map(([option]) => option);
}

/** Each message headed by the file that holds the option, as the other problems are. */
export async function checkTls(rest: RestSettings, locate: Locator, problems: Problems): Promise<void> {
  const at = (option: string): string => locate.file(['rest_cherrypy', option]);
  const cipherRefusal = await refusalOf(async () => checkCipherList(rest.sslCiphers));
  if (cipherRefusal !== undefined) problems.error(`${at('ssl_ciphers')}: ${cipherRefusal}`);
  if (rest.disableSsl) {
    const unused = unusedTlsOptions(rest);
    if (unused.length > 0) {
      problems.warning(
        `${at('disable_ssl')}: rest_cherrypy.disable_ssl: true, so ${unused.join(', ')} ` +
          `${unused.length === 1 ? 'is' : 'are'} not used: the API is served over plain HTTP`,
      );
    }
    if (rest.sslAllowedCn !== undefined) problems.warning(`${at('ssl_allowed_cn')}: ${ALLOWED_CN_UNREQUESTED}`);
    return;
  }
  const files: Array<[string, string | undefined, string]> = [
    ['ssl_crt', rest.sslCrt, 'a certificate'],
    ['ssl_key', rest.sslKey, 'a private key'],
  ];
  let unreadable = false;
  for (const [option, path, what] of files) {
    if (path === undefined || path === '') continue;
    const refusal = await refusalOf(() => readPem(option, path, what));
    if (refusal !== undefined) problems.error(`${at(option)}: ${refusal}`);
    unreadable ||= refusal !== undefined;
  }
  if (unreadable) return;
  // The cipher list was reported above: the rest is checked with the default one.
  const checked = cipherRefusal === undefined ? rest : { ...rest, sslCiphers: DEFAULT_SSL_CIPHERS };
  let requestCert = false;
  const refusal = await refusalOf(async () => {
    requestCert = (await tlsOptions(checked))?.requestCert === true;
  });
  if (refusal !== undefined) problems.error(`${at('ssl_crt')}: ${refusal}`);
  else if (rest.sslAllowedCn !== undefined && !requestCert) {
    problems.warning(`${at('ssl_allowed_cn')}: ${ALLOWED_CN_UNREQUESTED}`);
  }
}
