// A cleanup run's page (templates/cleaner/run_detail.html): refreshes the counts every few seconds
// while the run goes on; once it is over, the page reloads once to show what was left behind.
// Built with textContent: nothing from AWS becomes markup. A file, not inline, for the
// Content-Security-Policy; the page hands over its URL and labels in #run-poller's data-* attributes.
(function () {
  "use strict";
  var poller = document.getElementById("run-poller");
  if (!poller) { return; }
  var url = poller.dataset.progressUrl;
  var every = parseInt(poller.dataset.pollMilliseconds, 10) || 3000;
  var finishedLabel = poller.dataset.finishedLabel;
  var body = document.querySelector("#run-accounts tbody");
  var columns = ["found", "deleted", "failed", "left", "protected", "skipped"];

  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    row.appendChild(td);
    return td;
  }

  function render(data) {
    document.getElementById("run-status").textContent = data.status_label;
    document.getElementById("run-progress").textContent =
      data.targets_finished + " / " + data.targets_total + " " + finishedLabel;
    var rows = document.createDocumentFragment();
    data.accounts.forEach(function (account) {
      var row = document.createElement("tr");
      var first = cell(row, "");
      var details = document.createElement("details");
      var summary = document.createElement("summary");
      summary.textContent = account.account_id;
      details.appendChild(summary);
      var list = document.createElement("ul");
      account.regions.forEach(function (r) {
        var li = document.createElement("li");
        li.textContent = r.region + ": " + r.status_label + " · " + [r.found, r.deleted, r.failed, r.left].join("/") +
          (r.last_error ? " — " + r.last_error.slice(0, 200) : "");
        list.appendChild(li);
      });
      details.appendChild(list);
      first.appendChild(details);
      cell(row, account.status, "status status-" + account.status);
      columns.forEach(function (name, i) { cell(row, account[name], i > 3 ? "optional" : ""); });
      rows.appendChild(row);
    });
    body.replaceChildren(rows);
    columns.forEach(function (name) {
      document.querySelector('[data-total="' + name + '"]').textContent = data.totals[name];
    });
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) {
        render(data);
        if (data.finished) { window.location.reload(); } else { setTimeout(poll, every); }
      })
      .catch(function () { setTimeout(poll, every * 3); });
  }

  setTimeout(poll, every);
})();
