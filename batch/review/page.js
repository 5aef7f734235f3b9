(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("navsync-data").textContent);
  var rows = Array.prototype.slice.call(document.querySelectorAll("#rows .q"));
  var texts = null;
  var marks = {};
  var el = function (id) { return document.getElementById(id); };

  function count() {
    var n = Object.keys(marks).length;
    el("marked").textContent = n + (n === 1 ? " pair marked" : " pairs marked");
    el("download").disabled = n === 0;
  }

  function filter() {
    if (texts === null) {
      texts = rows.map(function (r) {
        return Array.prototype.map.call(r.querySelectorAll(".who"), function (w) { return w.textContent; }).join(" ").toLowerCase();
      });
    }
    var q = el("f-search").value.trim().toLowerCase();
    var reason = el("f-reason").value;
    var owner = el("f-owner").value;
    var acct = el("f-account").value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (r, i) {
      var ok = (!q || texts[i].indexOf(q) >= 0) &&
        (!reason || r.getAttribute("data-r") === reason) &&
        (!owner || r.getAttribute("data-o") === owner) &&
        (!acct || r.getAttribute("data-a").indexOf(acct) >= 0);
      r.hidden = !ok;
      if (ok) { shown++; }
    });
    el("shown").textContent = shown + " shown";
  }

  ["f-search", "f-reason", "f-owner", "f-account"].forEach(function (id) {
    el(id).addEventListener("input", filter);
    el(id).addEventListener("change", filter);
  });

  el("rows").addEventListener("change", function (ev) {
    var t = ev.target;
    if (!t || t.type !== "radio") { return; }
    var row = t.closest(".q");
    var i = row.getAttribute("data-i");
    if (t.value) {
      marks[i] = { verdict: t.value, at: new Date().toISOString() };
      row.classList.add("marked");
    } else {
      delete marks[i];
      row.classList.remove("marked");
    }
    count();
  });

  function field(s) {
    s = String(s);
    if (/[",\r\n]/.test(s) || s !== s.trim()) {
      return "\"" + s.replace(/"/g, "\"\"") + "\"";
    }
    return s;
  }

  function csv() {
    var reviewer = el("reviewer").value.trim();
    var lines = ["lead_id,crm_id,verdict,reviewer,reviewed_at"];
    Object.keys(marks).map(Number).sort(function (a, b) { return a - b; }).forEach(function (i) {
      var pair = data.rows[i];
      var m = marks[i];
      lines.push([pair[0], pair[1], m.verdict, reviewer, m.at].map(field).join(","));
    });
    return lines.join("\r\n") + "\r\n";
  }

  el("download").addEventListener("click", function () {
    var blob = new Blob([csv()], { type: "text/csv;charset=utf-8" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "reviews.csv";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  });

  window.navsyncReview = { csv: csv, marks: function () { return Object.keys(marks).length; }, rows: data.rows.length };
  count();
})();
