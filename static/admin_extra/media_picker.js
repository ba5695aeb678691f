// The media library's list as the story editor's picture picker. The editor's picture dialog ("Browse…") opens
// this list in a window with ?CKEditorFuncNum=N (django-prose-editor speaks the CKEditor 4 file-browser protocol);
// Insert hands the picture's address, description and caption back to that dialog and closes the window.
(function () {
  "use strict";
  var callbackNumber = new URLSearchParams(window.location.search).get("CKEditorFuncNum");

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-library-pick]");
    if (!button) return;
    var opener = window.opener;
    var tools = opener && !opener.closed && opener.CKEDITOR && opener.CKEDITOR.tools;
    if (!callbackNumber || !tools) {
      var note = document.getElementById("library-picker-lost");
      if (note) note.hidden = false;
      return;
    }
    tools.callFunction(Number(callbackNumber), button.dataset.src, {
      id: button.dataset.id,
      alternative_text: button.dataset.alt,
      caption: button.dataset.caption,
    });
    window.close();
  });
})();
