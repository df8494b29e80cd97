/**
 * The WeChat web-authorization adapter against WeChat's published answers
 * (tests/fixtures/providers/wechat, sources in SOURCES.md), replayed by a throwaway HTTP server:
 * the request it makes, the openid it reads, the 40029 it raises.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWechatOAuth, WechatOAuthError } from './wechat-oauth.js';

const fixture = (name: string) => readFileSync(new URL(`../../tests/fixtures/providers/wechat/${name}`, import.meta.url), 'utf8');
const requests: URL[] = [];
let server: ServerType;
let base = '';

beforeAll(async () => {
  const app = new Hono();
  app.get('/sns/oauth2/access_token', (c) => {
    const url = new URL(c.req.url);
    requests.push(url);
    const body = url.searchParams.get('code') === 'good-code' ? fixture('sns-oauth2-access-token-response.json') : fixture('sns-oauth2-invalid-code.json');
    // WeChat answers errors with HTTP 200 and a JSON body, served as text/plain.
    return c.body(body, 200, { 'content-type': 'text/plain' });
  });
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('WeChat web authorization (snsapi_base)', () => {
  const oauth = () => createWechatOAuth({ appId: 'wx520c15f417810387', appSecret: 's3cret', apiBaseUrl: base, authorizeBaseUrl: 'https://open.weixin.qq.com' });

  it('builds the authorize URL WeChat documents: appid, redirect_uri, response_type=code, scope=snsapi_base, state, #wechat_redirect', () => {
    const url = oauth().authorizeUrl('https://h.example.cn/book/wechat', 'st4te');
    expect(url).toBe(
      'https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx520c15f417810387&redirect_uri=https%3A%2F%2Fh.example.cn%2Fbook%2Fwechat&response_type=code&scope=snsapi_base&state=st4te#wechat_redirect',
    );
  });

  it('exchanges the code for the openid of the published answer', async () => {
    await expect(oauth().openidForCode('good-code')).resolves.toBe(JSON.parse(fixture('sns-oauth2-access-token-response.json')).openid);
    const sent = requests.at(-1)!;
    expect(Object.fromEntries(sent.searchParams)).toEqual({ appid: 'wx520c15f417810387', secret: 's3cret', code: 'good-code', grant_type: 'authorization_code' });
  });

  it('raises errcode 40029 with WeChat\'s message for an invalid code', async () => {
    const err = await oauth().openidForCode('used-code').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WechatOAuthError);
    expect(err).toMatchObject({ errcode: 40029 });
    expect((err as WechatOAuthError).errmsg).toMatch(/^invalid code/);
  });
});
