"use strict";
// Refreshes the progress bars of the runs still going (".hatchet-progress[data-live]") from
// the admin's JSON view (the script's data-url), every 2 s; reloads the page when one of them
// has finished, so that its output or error shows. No other script, no CDN.
(function () {
  const script = document.currentScript;
  const url = script && script.dataset.url;
  const interval = 2000;
  const finished = ["COMPLETED", "FAILED", "CANCELLED"];
  let polls = 0;
  if (!url) {
    return;
  }

  function show(node, progress) {
    if (!progress) {
      return;
    }
    const bar = node.querySelector("progress");
    bar.classList.remove("hatchet-hidden");
    if (progress.percent === null) {
      bar.removeAttribute("value");
    } else {
      bar.value = progress.percent;
    }
    node.querySelector(".hatchet-progress-text").textContent = progress.text;
  }

  function poll() {
    const nodes = Array.from(document.querySelectorAll(".hatchet-progress[data-live]"));
    if (!nodes.length || polls++ > 1800) {
      return;
    }
    const query = nodes.map((n) => "id=" + encodeURIComponent(n.dataset.runId)).join("&");
    fetch(url + "?" + query, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (data && data.runs) {
          let done = false;
          for (const node of nodes) {
            const state = data.runs[node.dataset.runId];
            if (state) {
              show(node, state.progress);
              done = done || finished.includes(state.status);
            }
          }
          if (done) {
            window.location.reload();
            return;
          }
        }
        setTimeout(poll, interval);
      })
      .catch(() => setTimeout(poll, interval * 2));
  }

  setTimeout(poll, interval);
})();
