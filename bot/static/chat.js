// The web chat: one WebSocket per page, reconnecting by itself; the conversation survives a reload
// because the citizen's id lives in localStorage and the server replays the session's history.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var quick = document.getElementById("quick");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var statusEl = document.getElementById("status");
  var sendBtn = document.getElementById("send");

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "w" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }
  var sender = localStorage.getItem("jiesu.sender");
  if (!sender) { sender = newId(); localStorage.setItem("jiesu.sender", sender); }

  var ws = null, retry = 0, queue = [], typingRow = null, hadHistory = false;

  function setStatus(state, text) { statusEl.dataset.state = state; statusEl.textContent = text; }
  function scroll() { log.scrollTop = log.scrollHeight; }

  function row(role) {
    var r = document.createElement("div");
    r.className = "row " + role;
    var avatar = document.createElement("div");
    avatar.className = "avatar";
    avatar.textContent = role === "bot" ? "12345" : "我";
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    if (role === "bot") { r.appendChild(avatar); r.appendChild(bubble); } else { r.appendChild(bubble); r.appendChild(avatar); }
    log.appendChild(r);
    return bubble;
  }

  function hideTyping() { if (typingRow) { typingRow.remove(); typingRow = null; } }
  function showTyping() {
    hideTyping();
    var bubble = row("bot");
    typingRow = bubble.parentNode;
    typingRow.classList.add("typing");
    typingRow.setAttribute("data-testid", "typing");
    for (var i = 0; i < 3; i++) { var d = document.createElement("span"); d.className = "dot"; bubble.appendChild(d); }
    scroll();
  }

  function addUser(text) { row("user").textContent = text; scroll(); }

  function addBot(text, buttons) {
    var bubble = row("bot");
    bubble.textContent = text || "";
    bubble.parentNode.setAttribute("data-testid", "bot-message");
    if (buttons && buttons.length) {
      var box = document.createElement("div");
      box.className = "buttons";
      buttons.forEach(function (b) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.title;
        btn.addEventListener("click", function () {
          box.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
          send(b.payload, b.title);
        });
        box.appendChild(btn);
      });
      bubble.appendChild(box);
    }
    scroll();
  }

  function notice(text) {
    var n = document.createElement("div");
    n.className = "notice";
    n.textContent = text;
    log.appendChild(n);
    scroll();
  }

  function transmit(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    else queue.push(frame);
  }

  function send(text, display, silent) {
    text = (text || "").trim();
    if (!text) return;
    if (!silent) addUser(display || text);
    var frame = { type: "message", text: text, message_id: newId() };
    if (silent) frame.display = ""; else if (display) frame.display = display;
    transmit(frame);
    showTyping();
  }

  function connect() {
    setStatus("connecting", "连接中…");
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/webhooks/web/ws?sender=" + encodeURIComponent(sender));
    ws.onopen = function () {
      retry = 0;
      setStatus("online", "在线");
      sendBtn.disabled = false;
      while (queue.length) ws.send(JSON.stringify(queue.shift()));
    };
    ws.onmessage = function (ev) {
      var frame = JSON.parse(ev.data);
      if (frame.type === "history") {
        if (hadHistory) return; // a reconnect: the page already shows the conversation
        hadHistory = true;
        frame.messages.forEach(function (m) {
          if (m.role === "user") addUser(m.text); else addBot(m.text, []);
        });
        if (!frame.messages.length) send("/greet", "", true);
      } else if (frame.type === "typing") {
        showTyping();
      } else if (frame.type === "bot") {
        hideTyping();
        addBot(frame.text, frame.buttons);
      } else if (frame.type === "ack") {
        hideTyping();
      } else if (frame.type === "error") {
        hideTyping();
        notice(frame.message);
      }
    };
    ws.onclose = function () {
      hideTyping();
      sendBtn.disabled = false;
      setStatus("offline", "网络断开，正在重连…");
      var delay = Math.min(10000, 500 * Math.pow(2, retry++));
      setTimeout(connect, delay);
    };
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  [["我要反映问题", "/report_problem"], ["查询工单", "/query_status"], ["转人工", "/handoff"]].forEach(function (q) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = q[0];
    b.addEventListener("click", function () { send(q[1], q[0]); });
    quick.appendChild(b);
  });
  connect();
})();
