// Kiosk print view: one button prints the page.
document.getElementById("print").addEventListener("click", function () { window.print(); });
