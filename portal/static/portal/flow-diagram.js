/* BPMN diagram of a flow (issue 20): bpmn-js's navigated viewer (zoom with the wheel or the buttons, pan by
   dragging), steps marked by colour and a text badge, a click on a step opens its task when the user may act on it.
   Without bpmn-js (npm ci not run) or without JavaScript the list of steps beside the diagram says the same. */
(function () {
  "use strict";

  function setUp(root) {
    var canvasEl = root.querySelector("[data-bpmn-url]");
    var stepsEl = document.getElementById(root.getAttribute("data-steps"));
    if (!canvasEl || !stepsEl) return;
    if (typeof window.BpmnJS !== "function") {
      root.classList.add("ikz-flow--no-viewer");
      return;
    }
    var steps = JSON.parse(stepsEl.textContent);
    var byId = {};
    steps.forEach(function (step) { byId[step.id] = step; });
    var viewer = new window.BpmnJS({ container: canvasEl });
    fetch(canvasEl.getAttribute("data-bpmn-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var overlays = viewer.get("overlays");
        var registry = viewer.get("elementRegistry");
        steps.forEach(function (step) {
          if (!step.state || !registry.get(step.id)) return;
          canvas.addMarker(step.id, "ikz-bpmn--" + step.state);
          var badge = document.createElement("span");
          badge.className = "ikz-bpmn-badge ikz-bpmn-badge--" + step.state;
          badge.textContent = (step.state === "completed" ? "\u2713 " : step.state === "current" ? "\u25B6 " : "! ") + step.state_label;
          overlays.add(step.id, "ikz-state", { position: { top: -22, left: 0 }, html: badge });
          if (step.url) canvas.addMarker(step.id, "ikz-bpmn--actionable");
        });
        canvas.zoom("fit-viewport");
        var current = steps.filter(function (s) { return s.state === "current" && registry.get(s.id); });
        if (canvas.zoom() < 0.6) {
          // too small to read: zoom in on the current step, or on the start of the flow
          var fitted = canvas.viewbox();
          canvas.zoom(0.8);
          var box = canvas.viewbox();
          var el = current.length ? registry.get(current[0].id) : null;
          var x = el ? el.x - box.width / 3 : fitted.inner.x - 20;
          var y = el ? el.y - box.height / 3 : fitted.inner.y + fitted.inner.height / 2 - box.height / 2;
          canvas.viewbox({ x: x, y: y, width: box.width, height: box.height });
        }
        viewer.on("element.click", function (event) {
          var step = byId[event.element.id];
          if (step && step.url) window.location.assign(step.url);
        });
        root.querySelectorAll("[data-zoom]").forEach(function (button) {
          button.hidden = false;
          button.addEventListener("click", function () {
            var how = button.getAttribute("data-zoom");
            if (how === "fit") canvas.zoom("fit-viewport");
            else canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8));
          });
        });
        root.classList.add("ikz-flow--ready");
      })
      .catch(function () { root.classList.add("ikz-flow--no-viewer"); });
  }

  function init() { document.querySelectorAll("[data-flow-diagram]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
