// The finance workspace: statement upload through the API with its progress, and live progress
// of imports still running. Without JavaScript the form posts to the page and nothing is lost.
(function () {
  "use strict";

  var JSON_HEADERS = {"Accept": "application/json"};

  function formatVnd(amount) {
    return String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ".") + " ₫";
  }

  function getJson(url) {
    return fetch(url, {headers: JSON_HEADERS, credentials: "same-origin"}).then(function (response) {
      return response.ok ? response.json() : null;
    });
  }

  function showProgress(bar, imp) {
    bar.max = imp.lines_total || 1;
    bar.value = imp.lines_total ? imp.lines_processed : 1;
  }

  // Imports someone started that are still running: follow their progress on the import resource.
  document.querySelectorAll("progress[data-status='processing']").forEach(function (bar) {
    var count = document.getElementById("import-" + bar.dataset.importId + "-count");
    var timer = setInterval(function () {
      getJson("/api/v1/reconciliation/statements/" + bar.dataset.importId).then(function (imp) {
        if (!imp) { return; }
        showProgress(bar, imp);
        count.textContent = imp.lines_processed + "/" + imp.lines_total;
        if (imp.status !== "processing") { clearInterval(timer); }
      });
    }, 1000);
  });

  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var text = JSON.parse(form.dataset.text);
  var errors = JSON.parse(form.dataset.errors);
  var api = form.dataset.api;
  var box = document.getElementById("upload-progress");
  var bar = document.getElementById("upload-bar");
  var status = document.getElementById("upload-status");
  var problem = document.getElementById("upload-error");
  var link = document.getElementById("upload-lines");
  var button = document.getElementById("upload-button");

  // As web/finance_text.error_sentence: a refusal naming a field says it in words ("nội dung chuyển khoản"),
  // with the sentence written for a named field where there is one.
  function sentence(body) {
    var details = body.details || {};
    var fieldName = text.fields[details.field];
    if (body.code === "network") { return text.network; }  // the request never got an answer: nothing to name
    var template = (fieldName && errors[body.code + "_named"]) || errors[body.code];
    if (!template) { return text.failed + " (" + (body.code || "?") + ")."; }
    var filled = template.replace(/\{(\w+)\}/g, function (_, key) {
      if (key === "field_name") { return fieldName || text.field; }
      var value = details[key];
      if (value === undefined) { return ""; }
      return /_vnd$/.test(key) ? formatVnd(value) : String(value);
    });
    filled = filled.charAt(0).toUpperCase() + filled.slice(1);  // "{field_name} quá dài" starts a sentence
    return details.line_no && template.indexOf("{line_no}") < 0 ? filled + " (" + text.line + " " + details.line_no + ")" : filled;
  }

  function fail(body) {
    problem.textContent = sentence(body || {});
    problem.hidden = false;
    status.textContent = "";
    button.disabled = false;
  }

  function finish(created) {
    // The import resource says what the server processed: show that, then offer its lines.
    getJson(api + "/" + created.import_id).then(function (imp) {
      imp = imp || created;
      showProgress(bar, imp);
      status.textContent = text.done + ": " + imp.lines_processed + "/" + imp.lines_total + " " + text.lines +
        " (" + imp.lines_new + " " + text["new"] + ", " + imp.lines_duplicate + " " + text.duplicate + ").";
      link.href = form.dataset.linesUrl + "?date=" + (imp.period.to || "") + "&import_id=" + imp.import_id + "#lines";
      link.hidden = false;
      button.disabled = false;
    });
  }

  function watch(fileName) {
    // The upload's own import shows up as "processing" once the file parsed; follow it.
    return setInterval(function () {
      getJson(api + "?limit=5").then(function (body) {
        var mine = body && body.imports.filter(function (imp) {
          return imp.status === "processing" && imp.filename === fileName;
        })[0];
        if (!mine) { return; }
        showProgress(bar, mine);
        status.textContent = text.processing + ": " + mine.lines_processed + "/" + mine.lines_total + " " + text.lines;
      });
    }, 700);
  }

  form.addEventListener("submit", function (event) {
    var file = form.elements.file.files[0];
    if (!file || !window.FormData || !window.XMLHttpRequest) { return; }  // let the browser post the form
    event.preventDefault();
    var request = new XMLHttpRequest();
    var watcher = null;
    request.open("POST", api);
    request.setRequestHeader("X-CSRF-Token", form.elements.csrf_token.value);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
    });
    request.upload.addEventListener("load", function () {
      status.textContent = text.processing + "…";
      watcher = watch(file.name);
    });
    request.addEventListener("load", function () {
      clearInterval(watcher);
      var body = null;
      // A proxy or the limiter may answer without JSON: still a known code, so still a sentence.
      var bare = {413: "payload_too_large", 429: "rate_limited", 502: "service_unavailable", 503: "service_unavailable",
                  504: "service_unavailable"}[request.status];
      try { body = JSON.parse(request.responseText); } catch (e) { body = {code: bare || "http_" + request.status}; }
      if (request.status === 201) { finish(body); } else { fail(body); }
    });
    request.addEventListener("error", function () { clearInterval(watcher); fail({code: "network"}); });
    box.hidden = false;
    problem.hidden = true;
    link.hidden = true;
    bar.value = 0;
    status.textContent = text.sending;
    button.disabled = true;
    request.send(new FormData(form));
  });
}());
