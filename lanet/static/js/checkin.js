// Check-in page: sends each scan in the background, and keeps the scans that cannot reach the
// server in localStorage until the connection returns. Every scan carries a nonce made here,
// so a scan sent twice (a reply lost on the way back) is recorded once.
(function () {
  "use strict";

  // Choosing another day shows that day's page (tally, list); the button does it without script.
  var daySwitch = document.getElementById("day-switch");
  if (daySwitch) {
    daySwitch.addEventListener("change", function () {
      daySwitch.form.submit();
    });
  }

  var form = document.getElementById("checkin-form");
  if (!form || !window.fetch || !window.localStorage) {
    return; // the form still works as a plain POST
  }
  var codeInput = form.querySelector("[name=code]");
  var dayInput = form.querySelector("[name=day]");
  var csrfInput = form.querySelector("[name=csrf_token]");
  var result = document.getElementById("checkin-result");
  var pending = document.getElementById("checkin-pending");
  var count = document.getElementById("checkin-count");
  var storageKey = "lanet-checkin-queue:" + form.dataset.event;
  var flushing = false;

  function nonce() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function load() {
    try {
      return JSON.parse(localStorage.getItem(storageKey) || "[]");
    } catch (error) {
      return [];
    }
  }

  function save(queue) {
    localStorage.setItem(storageKey, JSON.stringify(queue));
    showPending(queue);
  }

  function showPending(queue) {
    queue = queue || load();
    pending.hidden = queue.length === 0;
    pending.textContent = form.dataset.msgPending + " " + queue.length;
  }

  function show(message, kind) {
    result.textContent = message;
    result.className = "checkin-result checkin-" + kind;
  }

  // Resolves with the server's answer, or null when the scan must be kept and sent again.
  function send(scan) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (csrfInput) {
      headers["X-CSRFToken"] = csrfInput.value;
    }
    return fetch(form.dataset.scanUrl, {
      method: "POST",
      headers: headers,
      credentials: "same-origin",
      body: JSON.stringify(scan)
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.status >= 500 || type.indexOf("application/json") === -1) {
        if (response.redirected || response.status === 401 || response.status === 403) {
          show(form.dataset.msgSignedOut, "error");
        }
        return null;
      }
      return response.json();
    }).catch(function () {
      return null;
    });
  }

  function answer(reply) {
    show(reply.message, reply.status === "error" ? "error" : reply.status);
    if (typeof reply.count === "number" && count && reply.status !== "error") {
      if (!dayInput || reply.day === undefined || reply.day === dayInput.value) {
        count.textContent = String(reply.count);
      }
    }
  }

  function enqueue(scan) {
    var queue = load();
    queue.push(scan);
    save(queue);
    show(form.dataset.msgQueued, "queued");
  }

  function flush() {
    if (flushing) {
      return;
    }
    var queue = load();
    if (queue.length === 0) {
      showPending(queue);
      return;
    }
    flushing = true;
    var scan = queue[0];
    send(scan).then(function (reply) {
      flushing = false;
      if (reply === null) {
        showPending();
        return; // still unreachable: try again later
      }
      // The first scan is settled (recorded, already recorded or refused): drop it.
      save(load().filter(function (kept) { return kept.nonce !== scan.nonce; }));
      answer(reply);
      if (load().length === 0) {
        show(form.dataset.msgSent + " " + reply.message, reply.status);
      }
      flush();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = codeInput.value.trim();
    if (!code) {
      codeInput.focus();
      return;
    }
    var scan = { code: code, day: dayInput ? dayInput.value : "", nonce: nonce(), at: Date.now() };
    codeInput.value = "";
    codeInput.focus();
    if (load().length > 0) {
      // Older scans go first, so the server sees them in the order they were made.
      enqueue(scan);
      flush();
      return;
    }
    send(scan).then(function (reply) {
      if (reply === null) {
        enqueue(scan);
      } else {
        answer(reply);
      }
    });
  });

  // The phone's camera, where the browser can read QR codes itself (BarcodeDetector).
  function setUpCamera() {
    var button = document.getElementById("checkin-camera");
    var video = document.getElementById("checkin-video");
    if (!button || !video || !("BarcodeDetector" in window) || !navigator.mediaDevices) {
      return;
    }
    var startLabel = button.textContent;
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    var stream = null;
    var last = { code: "", at: 0 };

    function stop() {
      if (stream) {
        stream.getTracks().forEach(function (track) { track.stop(); });
      }
      stream = null;
      video.hidden = true;
      button.textContent = startLabel;
    }

    function look() {
      if (!stream) {
        return;
      }
      detector.detect(video).then(function (found) {
        var code = found.length ? found[0].rawValue : "";
        // The same badge held in front of the camera is read many times a second.
        if (code && (code !== last.code || Date.now() - last.at > 3000)) {
          last = { code: code, at: Date.now() };
          codeInput.value = code;
          form.requestSubmit();
        }
      }).catch(function () {}).then(function () {
        window.setTimeout(look, 250);
      });
    }

    button.parentElement.hidden = false;
    button.addEventListener("click", function () {
      if (stream) {
        stop();
        return;
      }
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          video.hidden = false;
          button.textContent = button.dataset.labelStop;
          return video.play();
        })
        .then(look)
        .catch(function (error) {
          stop();
          show(String(error && error.message ? error.message : error), "error");
        });
    });
  }

  setUpCamera();
  window.addEventListener("online", flush);
  window.setInterval(flush, 10000);
  showPending();
  flush();
  codeInput.focus();
})();
