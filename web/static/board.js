// The postal board: drag a shipment onto another route or slot; a dialog asks for the reason and
// sends the same move form the keyboard users fill in (nothing here is needed to use the board).
(function () {
  "use strict";

  // After a form the page comes back at the shipment (#s-N): keyboard users carry on from there,
  // not from the top of the board.
  var arrived = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (arrived && arrived.classList.contains("shipment")) {
    arrived.setAttribute("tabindex", "-1");
    arrived.focus();
  }

  var dialog = document.getElementById("move-dialog");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var form = dialog.querySelector("form");
  var dragged = null;

  function open(card, lane) {
    form.action = card.dataset.moveUrl;
    form.elements.route.value = lane.dataset.dropRoute;
    form.elements.slot.value = lane.dataset.dropSlot;
    form.elements.reason.value = "";
    document.getElementById("move-dialog-what").textContent = card.dataset.label + " → " + lane.dataset.dropLabel;
    dialog.showModal();
    form.elements.reason.focus();
  }

  document.querySelectorAll("[data-move-url]").forEach(function (card) {
    card.addEventListener("dragstart", function (event) {
      dragged = card;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.label);
      card.classList.add("dragging");
    });
    card.addEventListener("dragend", function () {
      card.classList.remove("dragging");
      dragged = null;
    });
  });

  document.querySelectorAll("[data-drop-route]").forEach(function (lane) {
    lane.addEventListener("dragover", function (event) {
      if (!dragged) { return; }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      lane.classList.add("drop-target");
    });
    lane.addEventListener("dragleave", function (event) {
      if (!lane.contains(event.relatedTarget)) { lane.classList.remove("drop-target"); }
    });
    lane.addEventListener("drop", function (event) {
      event.preventDefault();
      lane.classList.remove("drop-target");
      if (dragged) { open(dragged, lane); }
    });
  });

  dialog.querySelector("[data-close]").addEventListener("click", function () { dialog.close(); });
}());
