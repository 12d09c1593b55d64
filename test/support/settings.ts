import { DEMO_CONFIG_FILE } from '../../src/config/cli-args.js';
import { loadSettings } from '../../src/config/load.js';
import type { MasterSettings, RestSettings, Settings } from '../../src/config/types.js';

export interface SettingsOverrides {
  rest?: Partial<RestSettings>;
  master?: Partial<MasterSettings>;
}

/**
 * Complete settings as the loader builds them from config/demo.conf (salt-api's defaults plus
 * plain HTTP on 127.0.0.1:8000, every netapi client enabled, the demo's external_auth), with
 * per-test overrides on top. A stop waits at most 3 s for busy connections (not the default
 * 10 s), so that a teardown on a loaded machine stays inside the hook timeout.
 */
export function testSettings(overrides: SettingsOverrides = {}): Settings {
  const base = loadSettings({ configFile: DEMO_CONFIG_FILE });
  return {
    master: { ...base.master, ...overrides.master },
    rest: { ...base.rest, shutdownTimeout: 3, ...overrides.rest },
  };
}
