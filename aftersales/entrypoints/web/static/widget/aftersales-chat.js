/*!
 * aftersales chat widget — no build step, no framework.
 *
 *   <div id="aftersales-chat" data-rasa-url="https://bot.example.com" data-token="<signed customer token>"
 *        data-lang="zh" data-shop-id="shop_lifestyle"></div>
 *   (data-lang: "zh" or "en", the app's language; leave it out to let the bot follow the shopper's)
 *   <script src="https://inbox.example.com/static/widget/aftersales-chat.js" defer></script>
 *
 * Talks to Rasa over socket.io (so the merchant's decisions arrive live), sends the customer token
 * in every message's metadata, and renders text, quick replies, order cards, result cards and links.
 * Everything it shows goes through textContent: no markup from the bot or the shopper is ever
 * interpreted. History lives in sessionStorage, so a reload keeps the conversation.
 */
(function () {
  "use strict";

  var STRINGS = {
    zh: {
      title: "售后客服", open: "联系售后客服", close: "收起对话", input: "输入消息", send: "发送",
      placeholder: "例如：我要取消订单", typing: "正在输入…", connecting: "正在连接…",
      reconnecting: "连接中断，正在重新连接…", offline: "暂时连不上客服，请稍后再试。",
      order: "订单", total: "实付", state: "状态", tracking: "物流", reference: "编号",
      refund: "退款", channel: "退回", eta: "预计", latest: "最晚", cancelled: "已取消", from_merchant: "商家客服",
      you: "我", bot: "客服助手"
    },
    en: {
      title: "Customer service", open: "Chat with customer service", close: "Minimize chat", input: "Message",
      send: "Send", placeholder: "e.g. I want to cancel my order", typing: "Typing…", connecting: "Connecting…",
      reconnecting: "Connection lost, reconnecting…", offline: "Can't reach customer service right now. Please try again later.",
      order: "Order", total: "Paid", state: "Status", tracking: "Shipping", reference: "Reference",
      refund: "Refund", channel: "To", eta: "Expected", latest: "At the latest", cancelled: "cancelled",
      from_merchant: "Merchant", you: "Me", bot: "Assistant"
    }
  };
  var TYPING_TIMEOUT_MS = 15000;
  var MAX_HISTORY = 200;
  var URL_PATTERN = /(https?:\/\/[^\s<>"'）)]+)/g;

  function scriptBase() {
    var current = document.currentScript;
    var src = current ? current.src : "";
    return src.slice(0, src.lastIndexOf("/") + 1);
  }
  var BASE = scriptBase();

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function loadSocketIo(callback) {
    if (window.io) { callback(); return; }
    var tag = document.createElement("script");
    tag.src = BASE + "../vendor/socket.io-4.8.4.min.js";
    tag.onload = function () { callback(); };
    tag.onerror = function () { callback(new Error("socket.io client failed to load")); };
    document.head.appendChild(tag);
  }

  function Widget(container) {
    // The page's data-lang is the app's language and goes to the bot with every message; without
    // it the widget's own strings follow the browser and the bot follows what the shopper writes.
    var declared = (container.dataset.lang || "").slice(0, 2).toLowerCase();
    this.declaredLang = STRINGS[declared] ? declared : null;
    var lang = this.declaredLang || (navigator.language || "zh").slice(0, 2).toLowerCase();
    this.lang = STRINGS[lang] ? lang : "zh";
    this.t = STRINGS[this.lang];
    this.container = container;
    this.rasaUrl = (container.dataset.rasaUrl || "").replace(/\/$/, "");
    this.token = container.dataset.token || "";
    this.shopId = container.dataset.shopId || "";
    this.storageKey = "aftersales-chat:" + (container.dataset.storageKey || this.shopId || "default");
    var saved = this.load();
    this.sessionId = saved.sessionId || randomId();
    // A second secret that never leaves this tab: the server binds a phone check to it, so anyone
    // who learns the session id (it names the socket.io room) still cannot act as this shopper.
    this.sessionKey = saved.sessionKey || randomId();
    this.history = saved.history || [];
    this.build(saved.open === true);
    for (var i = 0; i < this.history.length; i++) { this.render(this.history[i], false); }
    this.connect();
  }

  Widget.prototype.load = function () {
    try { return JSON.parse(window.sessionStorage.getItem(this.storageKey) || "{}"); } catch (e) { return {}; }
  };

  Widget.prototype.save = function () {
    try {
      window.sessionStorage.setItem(this.storageKey, JSON.stringify({
        sessionId: this.sessionId, sessionKey: this.sessionKey, history: this.history.slice(-MAX_HISTORY),
        open: !this.panel.hidden
      }));
    } catch (e) { /* storage full or disabled: the chat still works, only without history */ }
  };

  Widget.prototype.build = function (open) {
    var t = this.t, self = this;
    this.container.classList.add("asc");
    this.container.setAttribute("lang", this.lang === "zh" ? "zh-CN" : "en");
    this.launcher = el("button", "asc-launcher", t.open);
    this.launcher.type = "button";
    this.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    this.panel = el("section", "asc-panel");
    this.panel.setAttribute("aria-label", t.title);
    this.panel.hidden = !open;
    var header = el("header", "asc-header");
    header.appendChild(el("h2", "asc-title", t.title));
    var close = el("button", "asc-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", t.close);
    header.appendChild(close);
    this.status = el("p", "asc-status", t.connecting);
    this.status.setAttribute("role", "status");
    this.log = el("div", "asc-log");
    this.log.setAttribute("role", "log");
    this.log.setAttribute("aria-live", "polite");
    this.log.setAttribute("tabindex", "0");
    this.typing = el("p", "asc-typing", t.typing);
    this.typing.hidden = true;
    var form = el("form", "asc-form");
    var label = el("label", "asc-visually-hidden", t.input);
    label.htmlFor = "asc-input-" + this.sessionId.slice(0, 8);
    this.input = el("input", "asc-input");
    this.input.id = label.htmlFor;
    this.input.type = "text";
    this.input.maxLength = 1000;  // the chat channels answer longer messages "please shorten" (bot_extensions/guard.py)
    this.input.autocomplete = "off";
    this.input.placeholder = t.placeholder;
    var send = el("button", "asc-send", t.send);
    send.type = "submit";
    form.appendChild(label);
    form.appendChild(this.input);
    form.appendChild(send);
    this.panel.appendChild(header);
    this.panel.appendChild(this.status);
    this.panel.appendChild(this.log);
    this.panel.appendChild(this.typing);
    this.panel.appendChild(form);
    this.container.appendChild(this.launcher);
    this.container.appendChild(this.panel);

    this.launcher.addEventListener("click", function () { self.toggle(true); });
    close.addEventListener("click", function () { self.toggle(false); });
    this.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { self.toggle(false); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = self.input.value.trim();
      if (!text) { return; }
      self.input.value = "";
      self.send(text, text);
    });
  };

  Widget.prototype.toggle = function (open) {
    this.panel.hidden = !open;
    this.launcher.hidden = open;
    this.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    this.save();
    if (open) { this.input.focus(); this.log.scrollTop = this.log.scrollHeight; } else { this.launcher.focus(); }
  };

  Widget.prototype.connect = function () {
    var self = this;
    loadSocketIo(function (error) {
      if (error || !self.rasaUrl) { self.setStatus(self.t.offline); return; }
      var socket = window.io(self.rasaUrl, { path: "/socket.io", transports: ["websocket", "polling"],
                                             reconnection: true, reconnectionDelayMax: 10000 });
      self.socket = socket;
      socket.on("connect", function () {
        socket.emit("session_request", { session_id: self.sessionId });
      });
      socket.on("session_confirm", function () { self.setStatus(""); });
      socket.on("disconnect", function () { self.setStatus(self.t.reconnecting); });
      socket.on("connect_error", function () { self.setStatus(self.t.reconnecting); });
      socket.on("bot_uttered", function (message) { self.receive(message); });
    });
  };

  Widget.prototype.setStatus = function (text) {
    this.status.textContent = text;
    this.status.hidden = !text;
  };

  Widget.prototype.send = function (payload, shown) {
    var entry = { from: "user", text: shown };
    this.history.push(entry);
    this.render(entry, true);
    this.save();
    if (!this.socket || !this.socket.connected) {
      this.setStatus(this.t.reconnecting);
    }
    // socket.io buffers while disconnected and sends on reconnect.
    if (this.socket) {
      this.socket.emit("user_uttered", {
        session_id: this.sessionId, session_key: this.sessionKey, message: payload,
        metadata: this.declaredLang
          ? { customer_token: this.token, language: this.declaredLang, shop_id: this.shopId }
          : { customer_token: this.token, shop_id: this.shopId }
      });
    }
    this.showTyping(true);
  };

  Widget.prototype.showTyping = function (on) {
    var self = this;
    this.typing.hidden = !on;
    window.clearTimeout(this.typingTimer);
    if (on) { this.typingTimer = window.setTimeout(function () { self.typing.hidden = true; }, TYPING_TIMEOUT_MS); }
  };

  Widget.prototype.receive = function (message) {
    this.showTyping(false);
    var entry = { from: "bot" };
    if (message.text) { entry.text = message.text; }
    if (message.quick_replies && message.quick_replies.length) {
      entry.buttons = message.quick_replies.map(function (b) { return { title: b.title, payload: b.payload }; });
    }
    if (message.custom && typeof message.custom === "object") { entry.card = message.custom; }
    if (message.metadata && message.metadata.from === "merchant") { entry.merchant = true; }
    if (!entry.text && !entry.buttons && !entry.card) { return; }
    this.history.push(entry);
    this.render(entry, true);
    this.save();
  };

  Widget.prototype.render = function (entry, live) {
    var self = this, t = this.t;
    var row = el("div", "asc-msg asc-from-" + entry.from + (entry.merchant ? " asc-merchant" : ""));
    var who = el("span", "asc-visually-hidden", entry.from === "user" ? t.you : (entry.merchant ? t.from_merchant : t.bot));
    row.appendChild(who);
    var card = null;
    if (entry.card && entry.card.type === "order_card") { card = this.orderCard(entry.card); }
    if (entry.card && entry.card.type === "result_card") { card = this.resultCard(entry.card); }
    if (card && entry.text) {
      // The card shows what the text says; the text stays for screen readers.
      row.appendChild(el("span", "asc-visually-hidden", entry.text));
    } else if (entry.text) {
      row.appendChild(this.textWithLinks(entry.text));
    }
    if (card) { row.appendChild(card); }
    if (entry.buttons) {
      var group = el("div", "asc-buttons");
      group.setAttribute("role", "group");
      entry.buttons.forEach(function (button) {
        var b = el("button", "asc-button", button.title);
        b.type = "button";
        b.disabled = !live;
        b.addEventListener("click", function () {
          Array.prototype.forEach.call(group.querySelectorAll("button"), function (x) { x.disabled = true; });
          self.send(button.payload, button.title);
          self.input.focus();
        });
        group.appendChild(b);
      });
      row.appendChild(group);
    }
    this.log.appendChild(row);
    this.log.scrollTop = this.log.scrollHeight;
  };

  Widget.prototype.textWithLinks = function (text) {
    var p = el("p", "asc-text");
    String(text).split(URL_PATTERN).forEach(function (part, index) {
      if (index % 2 === 1) {
        var a = el("a", "asc-link", part);
        a.href = part;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        p.appendChild(a);
      } else if (part) {
        p.appendChild(document.createTextNode(part));
      }
    });
    return p;
  };

  Widget.prototype.orderCard = function (card) {
    var t = this.t;
    var box = el("div", "asc-card asc-order-card");
    box.appendChild(el("p", "asc-card-title", t.order + " " + card.order_no + (card.shop ? " · " + card.shop : "")));
    var list = el("ul", "asc-items");
    (card.items || []).forEach(function (item) {
      var li = el("li", item.cancelled ? "asc-cancelled" : "", item.title + " ×" + item.quantity + "  " + item.amount +
                  (item.cancelled ? "（" + t.cancelled + "）" : ""));
      list.appendChild(li);
    });
    box.appendChild(list);
    box.appendChild(el("p", "", t.total + " " + card.total + (card.payment_channel ? "（" + card.payment_channel + "）" : "")));
    box.appendChild(el("p", "asc-state", t.state + "：" + card.state_label));
    if (card.tracking) { box.appendChild(el("p", "", t.tracking + "：" + card.tracking)); }
    return box;
  };

  Widget.prototype.resultCard = function (card) {
    var t = this.t;
    var box = el("div", "asc-card asc-result-card");
    box.appendChild(el("p", "asc-card-title", card.title + " · " + t.order + " " + card.order_no));
    if (card.reference) { box.appendChild(el("p", "asc-reference", t.reference + "：" + card.reference)); }
    if (card.refund) {
      var r = card.refund;
      box.appendChild(el("p", "asc-refund", t.refund + " " + r.amount + " · " + t.channel + " " + r.channel + " · " + r.status_label));
      if (r.eta) { box.appendChild(el("p", "", t.eta + " " + r.eta + (r.latest ? "（" + t.latest + " " + r.latest + "）" : ""))); }
    }
    return box;
  };

  function start() {
    var containers = document.querySelectorAll("#aftersales-chat, [data-aftersales-chat]");
    Array.prototype.forEach.call(containers, function (container) {
      if (!container.dataset.ready) {
        container.dataset.ready = "1";
        container.widget = new Widget(container);
      }
    });
  }

  if (!document.getElementById("aftersales-chat-style")) {
    var style = document.createElement("link");
    style.id = "aftersales-chat-style";
    style.rel = "stylesheet";
    style.href = BASE + "aftersales-chat.css";
    document.head.appendChild(style);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
