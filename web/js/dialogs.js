// The page's own confirm dialog (a <dialog> opened modally: focus moves into it, Tab stays inside, Escape cancels),
// in place of window.confirm, which cannot be styled, translated or tested like the rest of the page.
const $ = (id) => document.getElementById(id);

/** Asks `message`; resolves true for the confirm button, false for cancel or Escape. Focus goes back where it was. */
export function confirmDialog(message) {
  const dialog = $("confirm");
  const opener = document.activeElement;
  $("confirm-message").textContent = message;
  return new Promise((resolve) => {
    const done = (answer) => {
      dialog.removeEventListener("close", onClose);
      resolve(answer);
      if (opener && opener.isConnected) opener.focus();
    };
    const onClose = () => done(dialog.returnValue === "ok");
    dialog.returnValue = "";
    dialog.addEventListener("close", onClose);
    dialog.showModal();
    $("confirm-cancel").focus();
  });
}
