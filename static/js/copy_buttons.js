// The copy buttons beside read-only fields (invitation links, sandbox credentials).
// Loaded as a file, never inline: the Content-Security-Policy allows scripts from this site only.
(function () {
  "use strict";

  // A click in the field selects all of it, so copying by hand takes one keystroke.
  document.querySelectorAll("input[data-select-on-focus]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });

  // Copy buttons stay hidden without JavaScript: the read-only field can still be selected by hand.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copy);
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () {
        button.textContent = button.dataset.copied;
        setTimeout(function () { button.textContent = label; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done);
      } else {  // plain http (a local run): the older way still works
        field.select();
        document.execCommand("copy");
        done();
      }
    });
  });
})();
