/**
 * The schemas of the OpenAPI description: lowstate chunks per client (discriminated by `client`),
 * the reply envelopes and the shapes of salt-apid's own answers.
 */
import { NETAPI_CLIENTS, type NetapiClientName } from '../../salt/clients/netapi.js';

/** A JSON object of the OpenAPI document. */
export type OpenApiObject = Record<string, unknown>;

export const ref = (name: string): OpenApiObject => ({ $ref: `#/components/schemas/${name}` });

/** The lowstate clients that can run a chunk (`destroy` is listed by `GET /` but never enabled). */
export const LOWSTATE_CLIENTS = NETAPI_CLIENTS.filter(
  (client): client is Exclude<NetapiClientName, 'destroy'> => client !== 'destroy',
);

type LowstateClient = Exclude<NetapiClientName, 'destroy'>;

/** `Lowstate_local`, `Lowstate_runner_async`, … */
export const chunkSchemaName = (client: LowstateClient): string => `Lowstate_${client}`;

const credentialFields: OpenApiObject = {
  token: { type: 'string', pattern: '^[0-9A-Fa-f]+$', description: 'A Salt token (hex), e.g. from `POST /token`.' },
  username: { type: 'string', description: 'eauth user name (with `password` and `eauth`).' },
  password: { type: 'string', format: 'password', description: 'eauth password; never logged.' },
  eauth: { type: 'string', description: 'The eauth backend, e.g. `pam`, `ldap`, `auto`.', examples: ['pam'] },
};

const funField = {
  description: 'The function to call; a list of functions makes a compound command (`local*` only).',
  oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
};

const argFields: OpenApiObject = {
  fun: funField,
  arg: {
    description: 'Positional arguments; a scalar is wrapped in a list. `name=value` strings become keyword arguments.',
    oneOf: [{ type: 'array' }, { type: ['string', 'number', 'boolean', 'null', 'object'] }],
  },
  kwarg: { type: 'object', description: 'Keyword arguments of the function.' },
};

const TGT_TYPES = [
  'glob',
  'pcre',
  'list',
  'grain',
  'grain_pcre',
  'pillar',
  'pillar_pcre',
  'pillar_exact',
  'nodegroup',
  'range',
  'compound',
  'ipcidr',
];

const targetFields: OpenApiObject = {
  tgt: {
    description: 'The target expression (a list with `tgt_type: list`).',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
  },
  tgt_type: { type: 'string', enum: TGT_TYPES, default: 'glob' },
  ret: { type: 'string', description: 'Returners to send the results to (comma-separated).' },
  timeout: { type: ['integer', 'number', 'string'], description: 'Seconds to wait for the minions.' },
};

const CLIENT_NOTES: Record<LowstateClient, string> = {
  local: 'Runs an execution function on the targeted minions and waits for their returns.',
  local_async: 'Publishes the job and answers `{jid, minions}` at once.',
  local_batch: 'Runs the job on `batch` minions at a time; one result per batch.',
  local_subset: 'Runs the job on `subset` randomly chosen minions of the target.',
  runner: 'Runs a runner function on the master and waits for it; extra keys are keyword arguments.',
  runner_async: 'Starts a runner function and answers `{tag, jid}` at once.',
  wheel: 'Runs a wheel function (keys, config) on the master; extra keys are keyword arguments.',
  wheel_async: 'Starts a wheel function and answers `{tag, jid}` at once.',
  ssh: 'Runs a function through salt-ssh on the roster targets (needs `salt-ssh` on this host).',
};

const clientOnly: Record<LowstateClient, OpenApiObject> = {
  local: { full_return: { type: 'boolean', description: 'Each return with its `retcode` and `jid`.' } },
  local_async: {},
  local_batch: {
    batch: { type: ['string', 'integer'], description: 'Batch size: a number or a percentage (`"10%"`).' },
    batch_wait: { type: 'number', description: 'Seconds to wait between batches.' },
  },
  local_subset: { subset: { type: 'integer', minimum: 1, description: 'How many minions run the job.' } },
  runner: { full_return: { type: 'boolean' } },
  runner_async: {},
  wheel: {},
  wheel_async: {},
  ssh: { roster: { type: 'string' }, ssh_priv: { type: 'string' }, ssh_user: { type: 'string' } },
};

const REQUIRED: Record<LowstateClient, string[]> = {
  local: ['client', 'tgt', 'fun'],
  local_async: ['client', 'tgt', 'fun'],
  local_batch: ['client', 'tgt', 'fun', 'batch'],
  local_subset: ['client', 'tgt', 'fun', 'subset'],
  runner: ['client', 'fun'],
  runner_async: ['client', 'fun'],
  wheel: ['client', 'fun'],
  wheel_async: ['client', 'fun'],
  ssh: ['client', 'tgt', 'fun'],
};

function chunkSchema(client: LowstateClient): OpenApiObject {
  const targeted = client.startsWith('local') || client === 'ssh';
  return {
    type: 'object',
    description: `\`client: ${client}\`. ${CLIENT_NOTES[client]} Credentials: \`token\`, or \`username\`/\`password\`/\`eauth\` (session routes put the session's token here).`,
    required: REQUIRED[client],
    properties: {
      client: { const: client },
      ...argFields,
      ...(targeted ? targetFields : { timeout: targetFields['timeout'] }),
      ...clientOnly[client],
      ...credentialFields,
    },
    additionalProperties: true,
  };
}

/** One chunk of any client, told apart by `client`. */
const lowstateChunk: OpenApiObject = {
  description: 'One lowstate chunk: a command for one netapi client.',
  oneOf: LOWSTATE_CLIENTS.map((client) => ref(chunkSchemaName(client))),
  discriminator: {
    propertyName: 'client',
    mapping: Object.fromEntries(
      LOWSTATE_CLIENTS.map((client) => [client, `#/components/schemas/${chunkSchemaName(client)}`]),
    ),
  },
};

const saltValue: OpenApiObject = {
  description:
    'Any value Salt returns (JSON, or YAML by Accept); raw bytes that are not UTF-8 as `{"$bytes_b64": ...}`.',
};

export const SCHEMAS: OpenApiObject = {
  ...Object.fromEntries(LOWSTATE_CLIENTS.map((client) => [chunkSchemaName(client), chunkSchema(client)])),
  LowstateChunk: lowstateChunk,
  Lowstate: {
    description: 'A list of chunks run in order, or a single chunk (a one-chunk list). `[]` answers `{"return": []}`.',
    oneOf: [{ type: 'array', items: ref('LowstateChunk') }, ref('LowstateChunk')],
  },
  Credentials: {
    type: 'object',
    required: ['username', 'password', 'eauth'],
    properties: {
      username: credentialFields['username'],
      password: credentialFields['password'],
      eauth: credentialFields['eauth'],
    },
    additionalProperties: true,
  },
  SaltValue: saltValue,
  ReturnEnvelope: {
    type: 'object',
    required: ['return'],
    properties: { return: { type: 'array', items: ref('SaltValue'), description: 'One entry per chunk result.' } },
  },
  ErrorEnvelope: {
    type: 'object',
    required: ['status', 'return'],
    properties: { status: { type: 'integer' }, return: { type: 'string' } },
    examples: [{ status: 500, return: 'An unexpected error occurred' }],
  },
  Welcome: {
    type: 'object',
    properties: { return: { const: 'Welcome' }, clients: { type: 'array', items: { type: 'string' } } },
  },
  LoginReply: {
    type: 'object',
    properties: {
      return: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            token: { type: 'string', description: 'The session id: send it as `X-Auth-Token` (or the cookie).' },
            expire: { type: 'number' },
            start: { type: 'number' },
            user: { type: 'string' },
            eauth: { type: 'string' },
            perms: { type: 'array' },
          },
        },
      },
    },
  },
  JobsStarted: {
    type: 'object',
    properties: {
      return: { type: 'array', items: ref('SaltValue') },
      _links: {
        type: 'object',
        properties: {
          jobs: { type: 'array', items: { type: 'object', properties: { href: { type: 'string' } } } },
        },
      },
    },
  },
  JobReply: {
    type: 'object',
    properties: {
      info: { type: 'array', items: ref('SaltValue') },
      return: { type: 'array', items: ref('SaltValue') },
    },
  },
  HookReply: { type: 'object', properties: { success: { const: true } } },
  Health: { type: 'object', properties: { status: { const: 'ok' } } },
  Readiness: {
    type: 'object',
    properties: { status: { enum: ['ready', 'not ready'] }, reason: { type: 'string' } },
  },
  Stats: {
    type: 'object',
    description: '`CherryPy Applications`, `Cheroot HTTPServer <pid>` and `salt-apid` blocks of counters.',
    additionalProperties: true,
  },
};
