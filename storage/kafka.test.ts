import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogLevel } from './kafka.ts';

describe('kafkajs log levels', () => {
  it('logs the errors kafkajs retries while a broker starts at debug', () => {
    expect(kafkaLogLevel(logLevel.ERROR, { message: 'Response FindCoordinator(key: 10, version: 2)', error: 'The group coordinator is not available' })).toBe('debug');
    const loading = "The coordinator is loading and hence can't process requests for this group";
    expect(kafkaLogLevel(logLevel.ERROR, { message: 'Response JoinGroup(key: 11, version: 5)', error: loading })).toBe('debug');
    expect(kafkaLogLevel(logLevel.ERROR, { message: loading, retryCount: 1 })).toBe('debug');
  });

  it('logs an offset reset after a seek past the log start as one warning', () => {
    const error = 'The requested offset is not within the range of offsets maintained by the server';
    expect(kafkaLogLevel(logLevel.ERROR, { message: 'Response Fetch(key: 1, version: 11)', error })).toBe('debug');
    expect(kafkaLogLevel(logLevel.ERROR, { message: 'Offset out of range, resetting to default offset', topic: 't', partition: 0 })).toBe('warn');
  });

  it('keeps real errors and everything else at their level', () => {
    expect(kafkaLogLevel(logLevel.ERROR, { message: 'Crash: KafkaJSNumberOfRetriesExceeded: The group coordinator is not available' })).toBe('error');
    expect(kafkaLogLevel(logLevel.ERROR, { message: 'Response Produce(key: 0, version: 7)', error: 'The request included a message larger than the max message size the server will accept' })).toBe(
      'error',
    );
    expect(kafkaLogLevel(logLevel.ERROR, { message: 'Connection error: connect ECONNREFUSED 127.0.0.1:19092' })).toBe('error');
    expect(kafkaLogLevel(logLevel.WARN, { message: 'The group is rebalancing, re-joining' })).toBe('warn');
    expect(kafkaLogLevel(logLevel.INFO, { message: 'Consumer has joined the group' })).toBe('info');
  });
});
