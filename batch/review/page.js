(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("navsync-data").textContent);
  var rows = Array.prototype.slice.call(document.querySelectorAll("#rows .q"));
  var texts = null;
  var marks = {};
  var others = [];
  var el = function (id) { return document.getElementById(id); };
  var verdicts = { same_person: true, different_people: true };
  var pairKey = function (lead, crm) { return lead + "\n" + crm; };
  var byPair = Object.create(null);
  data.rows.forEach(function (p, i) { byPair[pairKey(p[0], p[1])] = i; });

  var key = "navsync-review " + JSON.stringify([data.run_id, data.generated]);
  var store = null;
  try {
    store = window.localStorage;
    store.setItem(key + " probe", "1");
    store.removeItem(key + " probe");
  } catch (e) {
    store = null;
  }

  function lost() {
    store = null;
    el("storage-note").hidden = false;
  }

  function entries() {
    var out = Object.keys(marks).map(Number).sort(function (a, b) { return a - b; }).map(function (i) {
      return [data.rows[i][0], data.rows[i][1], marks[i]];
    });
    return out.concat(others);
  }

  function save() {
    if (store === null) { return; }
    var list = entries().map(function (e) { return [e[0], e[1], e[2].verdict, e[2].at, e[2].saved ? 1 : 0]; });
    try {
      if (list.length > 0) {
        store.setItem(key, JSON.stringify({ v: 1, marks: list }));
      } else {
        store.removeItem(key);
      }
    } catch (e) {
      lost();
    }
  }

  function show(i, verdict) {
    var row = rows[i];
    Array.prototype.forEach.call(row.querySelectorAll("input[type=radio]"), function (r) { r.checked = r.value === verdict; });
    row.classList.toggle("marked", verdict !== "");
  }

  function restore() {
    Array.prototype.forEach.call(document.querySelectorAll("#rows input[type=radio]:checked:not([value=\"\"])"), function (r) {
      show(Number(r.closest(".q").getAttribute("data-i")), "");
    });
    if (store === null) { return; }
    var raw, list;
    try {
      raw = store.getItem(key);
    } catch (e) {
      lost();
      return;
    }
    try {
      list = JSON.parse(raw).marks;
    } catch (e) {
      return;
    }
    if (!Array.isArray(list)) { return; }
    var n = 0;
    list.forEach(function (e) {
      if (!Array.isArray(e) || typeof e[0] !== "string" || typeof e[1] !== "string" || verdicts[e[2]] !== true || typeof e[3] !== "string") {
        return;
      }
      var m = { verdict: e[2], at: e[3], saved: e[4] === 1 };
      var i = byPair[pairKey(e[0], e[1])];
      n++;
      if (i === undefined) {
        others.push([e[0], e[1], m]);
        return;
      }
      marks[i] = m;
      show(i, m.verdict);
    });
    if (n > 0) {
      var msg = "Restored " + n + (n === 1 ? " mark" : " marks") + " this browser kept for this page.";
      if (others.length > 0) {
        msg += " " + others.length + (others.length === 1 ? " is for a pair" : " are for pairs") +
          " no longer on the page: kept, and in the download.";
      }
      el("restored").textContent = msg;
      el("restored").hidden = false;
    }
  }

  function count() {
    var all = entries();
    var n = all.length;
    var u = all.filter(function (e) { return !e[2].saved; }).length;
    el("marked").textContent = n + (n === 1 ? " pair marked" : " pairs marked");
    el("unsaved").textContent = n === 0 ? "" : u === 0 ? "all downloaded" : u + (u === 1 ? " mark" : " marks") + " not downloaded yet";
    el("unsaved").classList.toggle("un", u > 0);
    el("download").disabled = n === 0;
    el("clear").disabled = n === 0;
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
      marks[i] = { verdict: t.value, at: new Date().toISOString(), saved: false };
      row.classList.add("marked");
    } else {
      delete marks[i];
      row.classList.remove("marked");
    }
    save();
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
    entries().forEach(function (e) {
      lines.push([e[0], e[1], e[2].verdict, reviewer, e[2].at].map(field).join(","));
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
    entries().forEach(function (e) { e[2].saved = true; });
    save();
    count();
  });

  el("clear").addEventListener("click", function () {
    var all = entries();
    var u = all.filter(function (e) { return !e[2].saved; }).length;
    el("clear-what").textContent = "Clear all " + all.length + (all.length === 1 ? " mark" : " marks") + " of this page" +
      (u > 0 ? " (" + u + " not downloaded)?" : "?");
    el("clear-ask").hidden = false;
  });
  el("clear-no").addEventListener("click", function () { el("clear-ask").hidden = true; });
  el("clear-yes").addEventListener("click", function () {
    Object.keys(marks).forEach(function (i) { show(Number(i), ""); });
    marks = {};
    others = [];
    el("clear-ask").hidden = true;
    el("restored").hidden = true;
    save();
    count();
  });

  window.navsyncReview = {
    csv: csv, key: key, stored: function () { return store !== null; }, rows: data.rows.length,
    marks: function () { return entries().length; }
  };
  if (store === null) { lost(); }
  restore();
  count();
})();
