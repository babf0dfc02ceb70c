/**
 * The process logger. Nothing logs request bodies (the request log below carries method, path,
 * status and time only); as a second line of defence, fields that can hold secrets are redacted
 * wherever a caller puts them into a log object.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'body',
  'req.body',
  'request.body',
  'value',
  '*.value',
  'secrets',
  '*.secrets',
  'context.secrets',
  'api_key',
  '*.api_key',
  'wrapped_key',
  '*.wrapped_key',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'otp_code',
  '*.otp_code',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
