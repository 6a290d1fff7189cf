// The Send page: the second number must be typed, not pasted or dropped,
// so a wrong number copied once is not copied twice. The server never
// relies on this; it compares both fields itself.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
	var again = document.getElementById("confirm");
	if (!again) {
		return;
	}
	["paste", "drop"].forEach(function (ev) {
		again.addEventListener(ev, function (e) {
			e.preventDefault();
		});
	});
});
