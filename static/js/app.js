// Small progressive enhancements. Everything works without this file.
"use strict";

// A supervision thread swapped in place (a reply, "Mark resolved") replaces the button that
// had focus, which would drop the keyboard user back at the top of the page. Put focus on
// what changed instead: the field with an error, else the reply just added, else the thread.
(function () {
  var swapped = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    swapped = target && target.classList && target.classList.contains("thread")
      ? { id: target.id, reply: event.detail.requestConfig.elt.classList.contains("thread-reply") }
      : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!swapped) { return; }
    var thread = document.getElementById(swapped.id);
    var reply = swapped.reply;
    swapped = null;
    if (!thread) { return; }
    var invalid = thread.querySelector("[aria-invalid='true'], .field-error textarea");
    var replies = thread.querySelectorAll(".replies > li");
    if (invalid) {
      invalid.focus();
    } else if (reply && replies.length) {
      replies[replies.length - 1].focus();
    } else {
      thread.focus();
    }
  });
})();
