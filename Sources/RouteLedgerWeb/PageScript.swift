/// The page's script, inline and ours (no library, nothing fetched but the API of the same server):
/// new reloads appear while the range ends now (a long-poll of `/v1/reloads`); a click on a lane shows the routes at that moment;
/// `+` `-` `[` `]` `n` follow the range links.
enum PageScript {
    static let js = """
        (function () {
          'use strict';
          function main() { return document.querySelector('main'); }
          document.addEventListener('click', function (event) {
            var svg = event.target.closest && event.target.closest('svg.lanes');
            if (!svg || event.target.closest('a')) return;
            var point = svg.createSVGPoint(); point.x = event.clientX; point.y = event.clientY;
            var p = point.matrixTransform(svg.getScreenCTM().inverse());
            var x0 = +svg.dataset.x0, x1 = +svg.dataset.x1, t0 = +svg.dataset.t0, t1 = +svg.dataset.t1;
            if (p.x < x0) return;
            var t = t0 + (t1 - t0) * Math.min(1, Math.max(0, (p.x - x0) / (x1 - x0)));
            var url = new URL(location.href);
            url.searchParams.set('at', new Date(Math.floor(t / 1e6)).toISOString());
            url.hash = 'moment';
            location.href = url.toString();
          });
          document.addEventListener('keydown', function (event) {
            if (event.ctrlKey || event.metaKey || event.altKey || /input|select|textarea/i.test(event.target.tagName)) return;
            var ids = { '+': 'zoom-in', '=': 'zoom-in', '-': 'zoom-out', '[': 'earlier', ']': 'later', 'n': 'now' };
            var link = ids[event.key] && document.getElementById(ids[event.key]);
            if (link) { event.preventDefault(); location.href = link.href; }
          });
          function poll() {
            var current = main();
            if (!current || current.dataset.live !== 'true') return;
            // A long-poll: the server answers when a reload of the host is recorded, or after 25 s with none.
            fetch(current.dataset.poll + '&wait=25s&after=' + current.dataset.lastReload, { headers: { Accept: 'application/json' } })
              .then(function (response) { return response.ok ? response.json() : []; })
              .then(function (list) {
                if (!list.length) return null;
                return fetch(location.href, { headers: { Accept: 'text/html' } }).then(function (response) { return response.text(); });
              })
              .then(function (html) {
                if (!html) return;
                var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('main');
                if (fresh) main().replaceWith(fresh);
              })
              .catch(function () { return new Promise(function (wait) { setTimeout(wait, 5000); }); })
              .then(function () { setTimeout(poll, 250); });
          }
          setTimeout(poll, 250);
        })();
        """
}
