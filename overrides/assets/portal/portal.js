/* Portal enhancements of the static pages. Every widget fails quietly where
   no portal answers (a static preview of a pull request). */
(function () {
  "use strict";

  var base = (function () {
    try {
      var cfg = JSON.parse(document.getElementById("__config").textContent);
      return new URL(cfg.base + "/", location.href).pathname.replace(/\/+$/, "/");
    } catch (e) { return "/"; }
  })();

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* Instant results under the header search box. */
  function setupSearch() {
    var form = document.querySelector(".portal-search");
    if (!form) return;
    var input = form.querySelector("input[name=q]");
    var box = form.querySelector(".portal-search__results");
    var timer = null, controller = null, selected = -1;

    function close() { box.hidden = true; input.setAttribute("aria-expanded", "false"); selected = -1; }
    function options() { return Array.prototype.slice.call(box.querySelectorAll("a")); }
    function select(index) {
      var items = options();
      if (!items.length) return;
      selected = (index + items.length) % items.length;
      items.forEach(function (a, i) { a.setAttribute("aria-selected", i === selected ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", items[selected].id);
      items[selected].scrollIntoView({ block: "nearest" });
    }
    function render(data, query) {
      var html = (data.results || []).map(function (r, i) {
        return '<a role="option" tabindex="-1" id="portal-hit-' + i + '" href="' + escapeHtml(base + r.url.replace(/^\//, "")) + '">' +
          '<span class="portal-hit__title">' + escapeHtml(r.title) + "</span>" +
          (r.section ? " › " + escapeHtml(r.section) : "") +
          '<br><span class="portal-hit__meta">' + r.snippet + "</span></a>";
      }).join("");
      if (!data.results || !data.results.length) {
        html = '<p style="padding:.5rem .8rem">Aucun résultat' +
          (data.suggestion ? " — vouliez-vous dire « " + escapeHtml(data.suggestion) + " » ?" : "") + "</p>";
      }
      html += '<a role="option" tabindex="-1" id="portal-hit-all" class="portal-hit__all" href="' + base + "search?q=" +
        encodeURIComponent(query) + '">Voir tous les résultats (' + (data.total || 0) + ")</a>";
      box.innerHTML = html;
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
      selected = -1;
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var query = input.value.trim();
      if (query.length < 2) { close(); return; }
      timer = setTimeout(function () {
        if (controller) controller.abort();
        controller = "AbortController" in window ? new AbortController() : null;
        fetch(base + "api/search?prefix=1&limit=6&q=" + encodeURIComponent(query),
              { signal: controller && controller.signal, headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) { if (data && input.value.trim() === query) render(data, query); })
          .catch(function () {});
      }, 180);
    });
    input.addEventListener("keydown", function (event) {
      if (box.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); select(selected + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); select(selected - 1); }
      else if (event.key === "Escape") { close(); }
      else if (event.key === "Enter" && selected >= 0) {
        event.preventDefault(); location.href = options()[selected].href;
      }
    });
    document.addEventListener("click", function (event) { if (!form.contains(event.target)) close(); });
    /* Combobox pattern: the focus stays in the box (options are out of the tab order and
       chosen with the arrows); the list closes when the focus leaves the search. A press
       in the list keeps the focus in the box, so that a click on an option still lands. */
    box.addEventListener("mousedown", function (event) { event.preventDefault(); });
    form.addEventListener("focusout", function (event) {
      if (!event.relatedTarget || !form.contains(event.relatedTarget)) close();
    });
  }

  /* Talents hub: filter cards by expertise. */
  function setupTalentFilter() {
    var filter = document.querySelector(".portal-filter");
    var grid = document.querySelector(".portal-talents");
    if (!filter || !grid) return;
    filter.hidden = false;
    filter.addEventListener("click", function (event) {
      var button = event.target.closest("[data-filter]");
      if (!button) return;
      var value = button.getAttribute("data-filter");
      filter.querySelectorAll("[data-filter]").forEach(function (b) {
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
      grid.querySelectorAll("li").forEach(function (li) {
        var tagged = li.querySelector("[data-expertise]");
        var tags = tagged ? tagged.getAttribute("data-expertise").split("|") : [];
        li.hidden = !!value && tags.indexOf(value) < 0;
      });
    });
  }

  /* Podcast: chapter links seek the page's player instead of opening the file. */
  function setupChapters() {
    var player = document.querySelector(".portal-player");
    if (!player) return;
    document.querySelectorAll(".portal-chapter").forEach(function (a) {
      a.addEventListener("click", function (event) {
        event.preventDefault();
        player.currentTime = Number(a.getAttribute("data-time")) || 0;
        player.play().catch(function () {});
      });
    });
  }

  /* Who is there: /api/me gives the user (or null) and a CSRF token. */
  var mePromise = null;
  function me() {
    if (!mePromise) {
      mePromise = fetch(base + "api/me", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { user: null }; })
        .catch(function () { return { user: null }; });
    }
    return mePromise;
  }

  function post(url, body, token) {
    return fetch(base + url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, Accept: "application/json" },
      body: JSON.stringify(body)
    });
  }

  /* Header: « Se connecter » or « Ma progression ». */
  function setupAccount() {
    var link = document.querySelector("[data-portal-account]");
    if (!link) return;
    me().then(function (data) {
      if (data.user) { link.textContent = "Ma progression"; link.href = base + "progression"; }
      else { link.href = base + "login?next=" + encodeURIComponent(location.pathname); }
      link.hidden = false;
    });
  }

  /* « Marquer comme lu », and where the page sits in the learner's paths. */
  function setupReading() {
    var box = document.querySelector(".portal-reading");
    if (!box) return;
    var page = box.getAttribute("data-portal-page");
    me().then(function (data) {
      if (!data.user) return;
      return fetch(base + "api/me/progress", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (progress) {
          if (!progress) return;
          var read = progress.pages_read.indexOf(page) >= 0;
          var places = [];
          progress.paths.forEach(function (path) {
            path.steps.forEach(function (step, i) {
              if (step.url === page) {
                places.push(escapeHtml(path.title) + " (étape " + (i + 1) + " sur " + path.steps.length + ")");
              }
            });
          });
          box.innerHTML = '<button type="button" class="md-button' + (read ? "" : " md-button--primary") +
            '" aria-pressed="' + read + '">' + (read ? "✔ Lu" : "Marquer comme lu") + "</button>" +
            (places.length ? ' <span>Dans vos parcours : ' + places.join(", ") + "</span>" : "");
          box.hidden = false;
          var button = box.querySelector("button");
          function markRead() {
            return post("api/me/pages-read", { page: page }, data.csrf_token).then(function (r) {
              if (r.ok) {
                button.textContent = "✔ Lu"; button.classList.remove("md-button--primary");
                button.setAttribute("aria-pressed", "true");
              }
            });
          }
          button.addEventListener("click", markRead);
          var player = document.querySelector(".portal-player");
          if (player && !read) player.addEventListener("ended", markRead);
        });
    });
  }

  /* Wide tables (wrapped by the theme in a scrolling box): a box that scrolls
     sideways must be reachable with the keyboard (WCAG 2.1.1), so it becomes a
     focusable, named region; one that fits stays out of the tab order. */
  function setupScrollRegions() {
    document.querySelectorAll(".md-typeset__scrollwrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", "Tableau à faire défiler horizontalement");
      } else if (wrap.hasAttribute("tabindex")) {
        wrap.removeAttribute("tabindex"); wrap.removeAttribute("role"); wrap.removeAttribute("aria-label");
      }
    });
  }

  window.portal = { base: base, escapeHtml: escapeHtml, me: me };
  function init() {
    setupSearch(); setupTalentFilter(); setupChapters(); setupAccount(); setupReading();
    /* The theme wraps tables when its document$ emits: check after it does, and on resize. */
    if (window.document$ && typeof window.document$.subscribe === "function") {
      window.document$.subscribe(function () { setTimeout(setupScrollRegions, 0); });
    } else {
      setupScrollRegions();
    }
    var resizing = null;
    window.addEventListener("resize", function () { clearTimeout(resizing); resizing = setTimeout(setupScrollRegions, 150); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
