// On a phone the menus are one line each that scrolls sideways: bring the current page's entry
// into view, so the menu shows where you are (again when the window narrows).
function showCurrentMenuEntries() {
  for (const current of document.querySelectorAll(".top nav [aria-current], .subnav [aria-current]")) {
    const menu = current.parentElement;
    if (menu && menu.scrollWidth > menu.clientWidth) {
      const left = current.getBoundingClientRect().left - menu.getBoundingClientRect().left;
      menu.scrollLeft += left - (menu.clientWidth - current.offsetWidth) / 2;
    }
  }
}
document.addEventListener("DOMContentLoaded", showCurrentMenuEntries);
window.addEventListener("resize", showCurrentMenuEntries);
