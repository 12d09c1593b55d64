/**
 * `npm run openapi`: writes docs/openapi.json, the description `GET /openapi.json` serves with the
 * demo configuration (config/demo.conf), which `npm start` runs. A test checks that the committed
 * file still equals what the server serves. An argument names another output file.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEMO_CONFIG_FILE } from './config/cli-args.js';
import { loadSettings } from './config/load.js';
import { openApiDocument } from './http/openapi/document.js';

const target = process.argv[2] ?? fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
const document = openApiDocument(loadSettings({ configFile: DEMO_CONFIG_FILE }));
writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
