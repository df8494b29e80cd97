/**
 * Survey and rating links (/s/<token>): the token is derived from the message ID with a secret
 * (so a retried send renders the same link) and only its hash is stored.
 */
import { createHash, createHmac } from 'node:crypto';

export function surveyToken(secret: string, messageId: string): string {
  return createHmac('sha256', `survey-link:${secret}`).update(messageId).digest('base64url').slice(0, 32);
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Tokens are 32 base64url characters; anything else is not looked up. */
export const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32}$/;
