/**
 * The stream feed's thread (stream-feed.ts starts it): runs a FeedReader, posts what it reads to
 * the main thread and hands it the main thread's requests. `workerData` holds the FeedReaderOptions.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FeedReader, type FeedReaderOptions } from './feed-reader.js';
import type { FeedRequest } from './fed-event.js';

const port = parentPort;
if (port !== null) {
  const reader = new FeedReader(workerData as FeedReaderOptions, (message, transfer) =>
    port.postMessage(message, transfer),
  ).start();
  port.on('message', (request: FeedRequest) => {
    reader.handle(request);
    if (request.type === 'close') port.close();
  });
}
