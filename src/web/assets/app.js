// ChartKey portal and admin: progressive enhancement only. Every page works without this
// file except the copy buttons and the toast's automatic dismissal.
(function () {
  'use strict';

  // Copy buttons: data-copy-target names the element whose text is copied.
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-copy-target]');
    if (!button) return;
    var target = document.getElementById(button.getAttribute('data-copy-target'));
    if (!target) return;
    var text = (target.value !== undefined ? target.value : target.textContent) || '';
    var done = function () { showToast(button.getAttribute('data-copied') || 'Copied to the clipboard'); };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text.trim()).then(done, function () { selectText(target); });
    } else {
      selectText(target);
    }
  });

  function selectText(el) {
    if (el.select) { el.select(); return; }
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  // Confirmation: links with data-confirm open the dialog, which posts to the link's href.
  var dialog = document.getElementById('confirm-dialog');
  if (dialog && typeof dialog.showModal === 'function') {
    var opener = null;
    document.addEventListener('click', function (event) {
      var link = event.target.closest && event.target.closest('a[data-confirm]');
      if (!link) return;
      event.preventDefault();
      opener = link;
      document.getElementById('confirm-form').setAttribute('action', link.getAttribute('href'));
      document.getElementById('confirm-message').textContent = link.getAttribute('data-confirm');
      document.getElementById('confirm-title').textContent = link.getAttribute('data-confirm-title') || 'Are you sure?';
      document.getElementById('confirm-ok').textContent = link.getAttribute('data-confirm-label') || 'Delete';
      dialog.showModal();
      document.getElementById('confirm-cancel').focus();
    });
    document.getElementById('confirm-cancel').addEventListener('click', function () { dialog.close(); });
    dialog.addEventListener('close', function () { if (opener) opener.focus(); });
  }

  // Toasts fade out after a few seconds.
  function showToast(message) {
    var region = document.querySelector('.toast-region');
    if (!region) return;
    var toast = document.createElement('div');
    toast.className = 'toast';
    toast.setAttribute('role', 'status');
    toast.textContent = message;
    region.appendChild(toast);
    setTimeout(function () { toast.remove(); }, 4000);
  }
  var existing = document.querySelectorAll('.toast-region .toast');
  existing.forEach(function (toast) { setTimeout(function () { toast.classList.add('toast-hide'); }, 6000); });

  // The reveal screen: Done replaces the history entry (so Back cannot return to it), and
  // the values are blanked whenever the page is left, so the back/forward cache keeps nothing.
  var reveal = document.querySelector('[data-reveal]');
  if (reveal) {
    var wipe = function () {
      reveal.querySelectorAll('[data-secret-value]').forEach(function (el) { el.textContent = ''; });
    };
    window.addEventListener('pagehide', wipe);
    var done = document.querySelector('[data-testid="credential-done"], [data-reveal-done]');
    if (done) {
      done.addEventListener('click', function (event) {
        event.preventDefault();
        wipe();
        window.location.replace(done.getAttribute('href'));
      });
    }
    if (window.history && window.history.replaceState) {
      // Reloading the reveal must not re-post the form: point this entry at the list.
      window.history.replaceState(null, '', reveal.getAttribute('data-reveal') || '/portal/history#fhir-api-access');
    }
  }
})();
