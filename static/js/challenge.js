/* The donation form's proof-of-work check (ALTCHA protocol v1), solved here in the browser: no third-party
   script, no worker, no network request. The server sent {algorithm, challenge, maxNumber, salt, signature};
   find n with sha256(salt + n) == challenge and post base64(JSON {algorithm, challenge, number, salt, signature})
   in the field "altcha". Work is done in small slices so the page stays responsive. If the donor presses the
   button before the check is done, the form is sent as soon as it is. */
(function () {
  "use strict";

  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];
  var W = new Array(64);

  /* SHA-256 of an ASCII string (the salt is hex plus "?expires=...&", the number is digits), as lower-case hex. */
  function sha256Hex(text) {
    var length = text.length, blocks = ((length + 8) >> 6) + 1, words = new Array(blocks * 16), i;
    for (i = 0; i < words.length; i++) words[i] = 0;
    for (i = 0; i < length; i++) words[i >> 2] |= (text.charCodeAt(i) & 0xff) << (24 - (i % 4) * 8);
    words[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
    words[words.length - 1] = length * 8;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a,
        h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var block = 0; block < words.length; block += 16) {
      var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7, t;
      for (t = 0; t < 64; t++) {
        if (t < 16) {
          W[t] = words[block + t] | 0;
        } else {
          var x = W[t - 15], y = W[t - 2];
          W[t] = (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + W[t - 16] +
                 (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + W[t - 7] | 0;
        }
        var t1 = h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
                 ((e & f) ^ (~e & g)) + K[t] + W[t] | 0;
        var t2 = (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
                 ((a & b) ^ (a & c) ^ (b & c)) | 0;
        h = g; g = f; f = e; e = d + t1 | 0; d = c; c = b; b = a; a = t1 + t2 | 0;
      }
      h0 = h0 + a | 0; h1 = h1 + b | 0; h2 = h2 + c | 0; h3 = h3 + d | 0;
      h4 = h4 + e | 0; h5 = h5 + f | 0; h6 = h6 + g | 0; h7 = h7 + h | 0;
    }
    var out = "", state = [h0, h1, h2, h3, h4, h5, h6, h7];
    for (i = 0; i < 8; i++) out += ("00000000" + (state[i] >>> 0).toString(16)).slice(-8);
    return out;
  }

  /* Calls done(number) when found, or done(null) after maxNumber. */
  function solve(challenge, done) {
    var n = 0, max = challenge.maxNumber, SLICE = 4000;
    function work() {
      var stop = Math.min(n + SLICE, max + 1);
      for (; n < stop; n++) {
        if (sha256Hex(challenge.salt + n) === challenge.challenge) return done(n);
      }
      if (n > max) return done(null);
      setTimeout(work, 0);
    }
    work();
  }

  if (typeof module !== "undefined" && module.exports) { // for a quick check under node
    module.exports = { sha256Hex: sha256Hex, solve: solve };
    return;
  }

  var box = document.querySelector("[data-challenge]");
  if (!box) return;
  var data = document.getElementById(box.getAttribute("data-challenge"));
  var field = box.querySelector("[data-challenge-solution]");
  var status = box.querySelector("[data-challenge-status]");
  var form = box.closest("form");
  if (!data || !field || !form) return;
  var challenge = JSON.parse(data.textContent);
  var solved = false, sendWhenSolved = false, submitter = null;

  box.hidden = false;
  var say = function (key) { return box.getAttribute("data-text-" + key); }; // the page's language
  status.textContent = say("checking");
  form.addEventListener("submit", function (event) {
    if (solved) return;
    event.preventDefault();
    sendWhenSolved = true;
    submitter = event.submitter || null; // keep the pressed button's name and value
    status.textContent = say("waiting");
  });
  solve(challenge, function (number) {
    if (number === null) {
      status.textContent = say("failed");
      return;
    }
    field.value = btoa(JSON.stringify({
      algorithm: challenge.algorithm, challenge: challenge.challenge, number: number,
      salt: challenge.salt, signature: challenge.signature
    }));
    solved = true;
    status.textContent = say("done");
    if (sendWhenSolved) {
      if (form.requestSubmit) form.requestSubmit(submitter); else form.submit();
    }
  });
})();
