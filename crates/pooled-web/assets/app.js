// Progressive enhancement only: every page works without this script. It marks the page
// as scripted (GOV.UK Frontend's styles key off these classes) and starts the Frontend
// components (error summary focus, the navigation's menu button on a narrow screen).
document.body.classList.add("js-enabled", "govuk-frontend-supported");
const frontend = document.querySelector("script[data-govuk-frontend]");
if (frontend) {
  const { initAll } = await import(frontend.dataset.govukFrontend);
  initAll();
}
