import * as util from 'node:util';
import { MultiLangDaemon } from './MultiLangDaemon';

describe('MultiLangDaemon.options', () => {
  const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
  const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET };

  it('prints no secret of the worker’s client options or of the children’s environment, and keeps them readable', async () => {
    const daemon = new MultiLangDaemon({
      executableName: 'node app.js',
      env: { PATH: '/usr/bin', AWS_SECRET_ACCESS_KEY: SECRET },
      worker: { applicationName: 'app', streamName: 'stream', clientOptions: { region: 'eu-west-1', credentials, env: { AWS_SECRET_ACCESS_KEY: SECRET } } },
    });
    for (const text of [JSON.stringify(daemon.options), util.inspect(daemon.options, { depth: Infinity }), JSON.stringify(daemon.worker.options)]) {
      expect(text).not.toContain(SECRET);
    }
    expect(daemon.options.env).toMatchObject({ PATH: '/usr/bin' });
    expect(daemon.options.env?.AWS_SECRET_ACCESS_KEY).toBe(SECRET);
    const provider = daemon.options.worker.clientOptions?.credentials as () => Promise<unknown>;
    await expect(provider()).resolves.toEqual(credentials);
    await daemon.stop();
  });
});
