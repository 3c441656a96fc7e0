// The widget's page (/chat/), its style sheet, and the loader another site includes with
// one script tag (/chat/embed.js): the loader adds a button and an iframe of the page,
// so the host site's styles and scripts never touch the chat, nor the chat theirs.

export const WIDGET_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat</title>
<link rel="stylesheet" href="/chat/widget.css">
</head>
<body>
<header><span id="title">Chat with us</span><span id="status" aria-live="polite">Connecting…</span></header>
<form id="start">
  <label>Name <input id="name" name="name" maxlength="80" autocomplete="name"></label>
  <label>Phone number <input id="number" name="number" maxlength="32" inputmode="tel" autocomplete="tel"></label>
  <button id="begin" type="submit">Start chat</button>
</form>
<main id="chat" hidden>
  <ul id="log" aria-live="polite"></ul>
  <div id="typing" hidden></div>
  <div id="emoji-picker" hidden></div>
  <form id="composer">
    <button id="emoji" type="button" title="Emoji" aria-label="Emoji">🙂</button>
    <label id="attach" title="Send an image">📎<input id="file" type="file" accept="image/png,image/jpeg,image/gif,image/webp"></label>
    <textarea id="text" rows="2" maxlength="4000" placeholder="Type a message"></textarea>
    <button id="send" type="submit">Send</button>
  </form>
  <button id="end" type="button">End chat</button>
</main>
<script src="/chat/widget.js"></script>
</body>
</html>
`

export const WIDGET_CSS = `*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,sans-serif;display:flex;flex-direction:column;height:100vh;color:#222}
header{display:flex;justify-content:space-between;padding:8px 12px;background:#2b5797;color:#fff}
#status{font-size:12px;opacity:.8}
#start{display:flex;flex-direction:column;gap:8px;padding:12px}
#start input{width:100%;padding:6px}
main{display:flex;flex-direction:column;flex:1;min-height:0}
[hidden]{display:none!important}
#log{list-style:none;margin:0;padding:8px;flex:1;overflow-y:auto}
.msg{margin:6px 0;max-width:85%;padding:6px 10px;border-radius:8px;background:#eef;overflow-wrap:anywhere}
.msg.customer{margin-left:auto;background:#d8f0d8}
.msg.system{margin:6px auto;background:none;color:#666;font-size:12px;text-align:center}
.msg .who{display:block;font-size:11px;color:#555}
.msg .text{white-space:pre-wrap}
.msg.sending{opacity:.6}
.msg.failed{border:1px solid #c33}
.msg .error{color:#c33;font-size:12px}
.msg img.image{max-width:100%;max-height:240px;display:block}
.buttons{display:flex;flex-wrap:wrap;gap:4px;margin-top:4px}
.choice.chosen{font-weight:bold}
#typing{padding:0 12px;font-size:12px;color:#666}
#emoji-picker{display:grid;grid-template-columns:repeat(8,1fr);padding:4px}
#emoji-picker .emoji{font-size:18px;border:none;background:none;cursor:pointer}
#composer{display:flex;gap:4px;padding:8px;border-top:1px solid #ddd}
#text{flex:1;resize:none}
#attach{cursor:pointer;align-self:center}
#attach input{display:none}
#end{margin:0 8px 8px;align-self:flex-end;font-size:12px}
`

/** The loader: `<script src="https://chat.example.com/chat/embed.js" data-title="Help" async></script>`. */
export const EMBED_JS = String.raw`'use strict'
;(() => {
  const me = document.currentScript
  if (!me) return
  const origin = new URL(me.src).origin
  const title = (me.dataset.title || '').slice(0, 60)
  const frame = document.createElement('iframe')
  frame.src = origin + '/chat/' + (title ? '?title=' + encodeURIComponent(title) : '')
  frame.title = title || 'Chat'
  frame.id = 'callctl-chat-frame'
  frame.setAttribute('allow', '')
  frame.style.cssText = 'position:fixed;right:16px;bottom:72px;width:360px;height:520px;max-height:80vh;border:1px solid #ccc;border-radius:8px;background:#fff;z-index:2147483646;display:none'
  const button = document.createElement('button')
  button.type = 'button'
  button.id = 'callctl-chat-button'
  button.textContent = title || 'Chat'
  button.style.cssText = 'position:fixed;right:16px;bottom:16px;z-index:2147483647;padding:10px 16px;border-radius:20px;border:none;background:#2b5797;color:#fff;cursor:pointer'
  button.addEventListener('click', () => (frame.style.display = frame.style.display === 'none' ? 'block' : 'none'))
  document.body.append(frame, button)
})()
`
