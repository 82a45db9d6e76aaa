// The console's one script: confirmation dialogs, row selection, the
// filter switch, and polling for new events. The pages work as plain
// forms without it: a button that opens a dialog here submits its form,
// and the server answers with a page that asks the same question.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // Here those buttons open their dialog instead of submitting; the
  // dialog's Yes, inside the same form, is then the one Enter submits.
  $$("button[data-open-dialog]").forEach(function (b) { b.type = "button"; });

  // Dialogs: a button with data-open-dialog opens one; data-close-dialog closes it.
  document.addEventListener("click", function (e) {
    var open = e.target.closest("[data-open-dialog]");
    if (open) {
      var d = document.getElementById(open.getAttribute("data-open-dialog"));
      if (d && !d.open) {
        document.dispatchEvent(new CustomEvent("console:dialog", { detail: d }));
        d.showModal();
      }
      return;
    }
    var close = e.target.closest("[data-close-dialog]");
    if (close) {
      var dlg = close.closest("dialog");
      if (dlg) { dlg.close(); }
    }
  });

  // The switch applies the filters at once.
  $$("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.requestSubmit(); });
  });

  var rows = $("#event-rows");
  var mark = $("#mark-actioned");
  var all = $("#select-all");
  var count = $("#selected-count");

  function selected() { return $$("#event-rows input[type=checkbox][name=id]:checked"); }

  function updateSelection() {
    if (!mark) { return; }
    var n = selected().length;
    var boxes = $$("#event-rows input[type=checkbox][name=id]");
    mark.disabled = n === 0;
    count.textContent = n === 0 ? "No events selected" : n === 1 ? "1 event selected" : n + " events selected";
    if (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
    $$("#event-rows tr[data-event-id]").forEach(function (tr) {
      var box = $("input[type=checkbox][name=id]", tr);
      tr.classList.toggle("is-selected", !!(box && box.checked));
    });
  }

  if (rows && mark) {
    rows.addEventListener("change", updateSelection);
    if (all) {
      all.hidden = false;
      all.addEventListener("change", function () {
        $$("#event-rows input[type=checkbox][name=id]").forEach(function (b) { b.checked = all.checked; });
        updateSelection();
      });
    }
    document.addEventListener("console:dialog", function (e) {
      if (e.detail.id !== "confirm-actioned") { return; }
      var n = selected().length;
      $("#confirm-count").textContent = n === 1 ? "1 event" : n + " events";
    });
    updateSelection();
  }

  // Polling: the newest page's rows, fetched again. The reply is newest
  // first; only the rows above the first one this page already shows are
  // new. Rows below it are older ones that moved up (an event on this page
  // was actioned elsewhere) and are left out. When none of the reply's rows
  // is shown here, more than a page changed since the last poll: the page
  // says so and offers a reload instead of guessing.
  if (rows && rows.dataset.pollUrl) {
    var url = rows.dataset.pollUrl;
    var every = parseInt(rows.dataset.pollMs, 10) || 2500;
    var live = $("#live");
    var busy = false;
    var timer = null;

    var stop = function (text) {
      clearInterval(timer);
      if (!live) { return; }
      live.textContent = text + " ";
      var a = document.createElement("a");
      a.href = location.pathname + location.search;
      a.textContent = "Reload";
      live.appendChild(a);
    };

    var tick = function () {
      if (busy || document.hidden) { return; }
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" }, redirect: "error" })
        .then(function (resp) {
          if (!resp.ok) { throw new Error("HTTP " + resp.status); }
          return resp.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var reply = $$("tr[data-event-id]", doc);
          if (reply.length === 0) { return; }
          var shown = function (tr) {
            return !!rows.querySelector('tr[data-event-id="' + CSS.escape(tr.dataset.eventId) + '"]');
          };
          var fresh = [];
          var anchored = !rows.querySelector("tr[data-event-id]");
          for (var i = 0; i < reply.length; i++) {
            if (shown(reply[i])) { anchored = true; break; }
            fresh.push(reply[i]);
          }
          if (!anchored) {
            stop("More than a page of new events arrived, or the list changed elsewhere.");
            return;
          }
          if (fresh.length === 0) { return; }
          var empty = $("#no-events");
          if (empty) { empty.remove(); }
          var first = rows.firstElementChild;
          fresh.forEach(function (tr) {
            var node = document.importNode(tr, true);
            node.classList.add("is-new");
            rows.insertBefore(node, first);
          });
          if (live) {
            live.textContent = fresh.length === 1 ? "1 new event" : fresh.length + " new events";
          }
          updateSelection();
        })
        .catch(function () {
          stop("Live updates paused.");
        })
        .finally(function () { busy = false; });
    };
    timer = setInterval(tick, every);
  }
})();
