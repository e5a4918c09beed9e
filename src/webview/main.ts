/** The chat view's browser bundle. */
const app = document.getElementById('app');
if (app) {
  const heading = document.createElement('h2');
  heading.className = 'bw-title';
  heading.textContent = 'Breakwater';
  app.appendChild(heading);
}
