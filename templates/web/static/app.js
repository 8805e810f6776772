// Live progress: pages with [data-progress-url] poll it and update their fields (no inline scripts: CSP).
"use strict";
function setText(root, field, text) {
  const el = root.querySelector(`[data-field="${field}"]`);
  if (el) el.textContent = text;
}
function updateBatch(root, doc) {
  setText(root, "state", doc.state_label);
  const bar = root.querySelector('[data-field="bar"]');
  if (bar) bar.value = doc.screened_percent;
  setText(root, "summary", doc.summary);
  setText(root, "worker_warning", doc.worker_warning || "");
  const warning = root.querySelector('[data-field="worker_warning"]');
  if (warning) warning.hidden = !doc.worker_warning;
  for (const [name, n] of Object.entries(doc.counts)) {
    const el = root.querySelector(`[data-count="${name}"]`);
    if (el) el.textContent = n;
  }
  for (const s of doc.samples) {
    const row = root.querySelector(`tr[data-sample="${CSS.escape(s.sample_id)}"]`);
    if (!row) continue;
    const cells = row.querySelectorAll("td");
    cells[1].textContent = s.state_label; cells[1].className = `state-${s.state}`;
    cells[2].textContent = s.attempts;
    cells[3].textContent = s.outcome_label;
    cells[4].textContent = s.turnaround.receipt_to_screened;
    cells[5].textContent = s.turnaround.screened_to_reviewed;
    cells[6].textContent = s.turnaround.receipt_to_letter;
    cells[7].textContent = s.reason_text;
  }
  return doc.state !== "finalised";
}
function updateLetters(root, doc) {
  const bar = root.querySelector('[data-field="bar"]');
  if (bar) bar.value = doc.percent;
  setText(root, "summary", doc.summary);  // in the page's language, written by the server
  if (doc.job) {
    setText(root, "job", doc.job.text);
    const list = root.querySelector('[data-field="problems"]');
    list.replaceChildren(...doc.job.problems.map((p) => { const li = document.createElement("li"); li.textContent = p; return li; }));
  }
  return doc.job !== null && doc.job.state === "running";
}
function updateImpact(root, doc) {
  const bar = root.querySelector('[data-field="bar"]');
  if (bar) bar.value = doc.percent;
  setText(root, "summary", doc.summary);
  if (doc.state !== "running") { window.location.reload(); return false; }  // the results are on the page
  return true;
}
function poll(root, update) {
  const url = root.dataset.progressUrl;
  const tick = async () => {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      if (update(root, await response.json())) setTimeout(tick, 1000);
    } catch (e) { setTimeout(tick, 3000); }
  };
  setTimeout(tick, 500);
}
document.addEventListener("DOMContentLoaded", () => {
  const batch = document.getElementById("batch-progress");
  if (batch) poll(batch, updateBatch);
  const letters = document.getElementById("letter-progress");
  if (letters) poll(letters, updateLetters);
  const impact = document.getElementById("impact-progress");
  if (impact && impact.dataset.state === "running") poll(impact, updateImpact);
});
