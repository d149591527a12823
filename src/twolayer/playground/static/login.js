// The token form: open the page with the token, keeping this address's #settings hash (a plain
// form submission would drop it).

const form = document.getElementById("login");
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = new FormData(form).get("token").trim();
  location.assign(`/?token=${encodeURIComponent(token)}${location.hash}`);
});
