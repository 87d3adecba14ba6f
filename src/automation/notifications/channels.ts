/**
 * Sending one delivery: a signed webhook POST, a Slack-compatible incoming-webhook message, or
 * an email over SMTP. Credentials are read from the secret store at send time (so a rotated
 * secret takes effect at the next attempt) and are never part of what is stored or logged.
 */
import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import { describeFetchError } from '../../platform/errors.js';
import type { NotificationEvent, NotificationSpec } from './model.js';
import { describe, headline, type ExecutionPayload } from './payload.js';

/** What a receiver answered; `error` is null when it accepted the delivery. */
export interface SendResult {
  statusCode: number | null;
  error: string | null;
}

/** Everything a channel needs to send one delivery. */
export interface SendRequest {
  deliveryId: number;
  event: NotificationEvent;
  target: NotificationSpec;
  payload: ExecutionPayload;
  /** Cuts a receiver that hangs. */
  timeoutMs: number;
  /** Reads a secret's value; remembers it so the caller can redact it from errors. */
  secret(path: string): Promise<string>;
  now(): number;
}

/** The webhook signature: `sha256=` and the hex HMAC-SHA256 of `timestamp.body` under the key. */
export function signWebhook(key: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The JSON body of a webhook delivery. */
export function webhookBody(event: NotificationEvent, payload: ExecutionPayload): string {
  return JSON.stringify({ event, execution: payload });
}

/** The Slack message: `text` for notifications and clients without blocks, and a block with details. */
export function slackMessage(
  event: NotificationEvent,
  payload: ExecutionPayload,
): { text: string; blocks: unknown[] } {
  const [title, ...details] = describe(event, payload);
  const text = payload.url ? `${title} (<${payload.url}|details>)` : title!;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${title}*` } },
      { type: 'section', text: { type: 'mrkdwn', text: details.join('\n') } },
    ],
  };
}

/** POSTs JSON; a 2xx answer is success, anything else (or no answer in time) is an error. */
async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Baton-Notifications', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { statusCode: null, error: describeFetchError(error, timeoutMs) };
  }
  // The answer's body is not needed; reading it would let a slow receiver hold the attempt.
  await response.body?.cancel().catch(() => undefined);
  if (response.status >= 200 && response.status < 300) return { statusCode: response.status, error: null };
  return { statusCode: response.status, error: `receiver answered HTTP ${response.status}` };
}

/** Sends one delivery on its channel. */
export async function send(request: SendRequest): Promise<SendResult> {
  const { target, event, payload, timeoutMs } = request;
  if (target.webhook) {
    const key = await request.secret(target.webhook.secret);
    const body = webhookBody(event, payload);
    const timestamp = String(Math.floor(request.now() / 1000));
    return postJson(
      target.webhook.url,
      body,
      {
        'x-baton-event': event,
        'x-baton-delivery': String(request.deliveryId),
        'x-baton-timestamp': timestamp,
        'x-baton-signature': signWebhook(key, timestamp, body),
      },
      timeoutMs,
    );
  }
  if (target.slack) {
    const url = await request.secret(target.slack.url);
    return postJson(url, JSON.stringify(slackMessage(event, payload)), {}, timeoutMs);
  }
  if (target.email) {
    const { smtp, to } = target.email;
    const password = smtp.password === undefined ? undefined : await request.secret(smtp.password);
    const transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure ?? false,
      ...(smtp.user !== undefined && { auth: { user: smtp.user, pass: password ?? '' } }),
      // A password never crosses the network in clear: without implicit TLS, STARTTLS is required.
      requireTLS: password !== undefined && !(smtp.secure ?? false),
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    try {
      await transport.sendMail({
        from: smtp.from,
        to,
        subject: `[Baton] ${headline(event, payload)}`,
        text: `${describe(event, payload).join('\n')}\n`,
        headers: { 'X-Baton-Event': event, 'X-Baton-Delivery': String(request.deliveryId) },
      });
      return { statusCode: null, error: null };
    } catch (error) {
      const err = error as Error & { responseCode?: number };
      return { statusCode: err.responseCode ?? null, error: err.message };
    } finally {
      transport.close();
    }
  }
  return { statusCode: null, error: 'notification has no channel' };
}
