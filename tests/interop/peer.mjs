// One official-SDK peer (wukongimjssdk 1.0.4) against `wkit serve`.
//   node --import ./register.mjs peer.mjs recv WS_URL UID
//   node --import ./register.mjs peer.mjs send WS_URL UID PEER COUNT
// Prints JSON lines on stdout: {"ready":true} once connected, then a summary.
// The SDK verifies each RECV's msg_key and decrypts it before a message
// reaches the listener (a mismatch is dropped silently, without RECVACK).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [role, url, uid, peer, countText] = process.argv.slice(2);
const modules = process.env.WKIT_NODE_MODULES;
globalThis.WebSocket = (await import(pathToFileURL(path.join(modules, 'ws/wrapper.mjs')).href)).WebSocket;
const sdk = await import(pathToFileURL(path.join(modules, 'wukongimjssdk/lib/sdk.js')).href);
const { WKSDK, MessageText, Channel, ChannelTypePerson } = sdk;
// ConnectStatus is not exported by lib/sdk.js: its values (connect_manager.d.ts).
const ConnectStatus = { Connected: 1, ConnectFail: 3, ConnectKick: 4 };

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const fail = (why) => { out({ error: String(why) }); process.exit(1); };
process.on('unhandledRejection', (e) => fail('unhandled rejection: ' + (e && e.stack || e)));
setTimeout(() => fail('timed out'), 60000).unref();

const im = WKSDK.shared();
im.config.addr = url;
im.config.uid = uid;
im.config.token = 'token-' + uid;

let ready = false;
im.connectManager.addConnectStatusListener((status, reason) => {
  if (status === ConnectStatus.Connected && !ready) {
    ready = true;
    out({ ready: true, uid });
    if (role === 'send') startSending();
  } else if (status === ConnectStatus.ConnectFail || status === ConnectStatus.ConnectKick) {
    fail('connect failed, reason ' + reason);
  }
});

if (role === 'recv') {
  const seen = new Map();  // clientMsgNo -> count
  const ids = new Set();
  let received = 0;
  im.chatManager.addMessageListener((m) => {
    const text = m.content && m.content.text;
    if (text === 'end') {
      let dup = 0;
      for (const n of seen.values()) if (n > 1) dup += n - 1;
      out({ received, unique: seen.size, unique_ids: ids.size, duplicates: dup,
            from_ok: true, texts_ok: [...seen.keys()].length === received });
      setTimeout(() => process.exit(0), 200);  // let the last RECVACK go out
      return;
    }
    if (m.fromUID !== peer && peer) fail('unexpected sender ' + m.fromUID);
    if (!/^msg-\d+$/.test(text)) fail('unexpected content ' + JSON.stringify(m.content));
    received++;
    seen.set(m.clientMsgNo, (seen.get(m.clientMsgNo) || 0) + 1);
    ids.add(String(m.messageID));
  });
}

function startSending() {
  const count = Number(countText);
  const channel = new Channel(peer, ChannelTypePerson);
  let acked = 0, ok = 0, endSent = false;
  const reasons = {};
  im.chatManager.addMessageStatusListener((ack) => {
    reasons[ack.reasonCode] = (reasons[ack.reasonCode] || 0) + 1;
    acked++;
    if (ack.reasonCode === 1) ok++;
    if (acked === count && !endSent) {
      endSent = true;
      im.chatManager.send(new MessageText('end'), channel);
    } else if (acked === count + 1) {
      out({ sent: count, sendacks: acked - 1, success: ok - (ack.reasonCode === 1 ? 1 : 0), reasons });
      setTimeout(() => process.exit(0), 100);
    }
  });
  for (let i = 1; i <= count; i++) im.chatManager.send(new MessageText('msg-' + i), channel);
}

im.connect();
