import type { Settings } from '../config/types.js';
import type { DemoMaster } from './demo-master.js';

/** The settings with their master options pointed at a running demo master. */
export function settingsForDemo(settings: Settings, demo: DemoMaster): Settings {
  const pub = demo.pubAddress;
  const pull = demo.pullAddress;
  return {
    ...settings,
    master: {
      ...settings.master,
      interface: '127.0.0.1',
      retPort: demo.retPort,
      sockDir: demo.sockDir,
      ipcMode: typeof pub === 'string' ? 'ipc' : 'tcp',
      tcpMasterPubPort: typeof pub === 'string' ? settings.master.tcpMasterPubPort : pub.port,
      tcpMasterPullPort: typeof pull === 'string' ? settings.master.tcpMasterPullPort : pull.port,
    },
  };
}
