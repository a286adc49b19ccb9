"""Le déploiement de production : deploy/nginx/portail.conf essayé pour de vrai, et le
guide docs/deploiement.md fidèle aux fichiers de deploy/.

nginx sert le site statique (le lien `site/`), gunicorn (`pmo-portal serve`) le portail.
La configuration livrée est reprise telle quelle : seules ses trois lignes propres à
l'installation (écoute et TLS, racine du site, adresse de gunicorn) sont remplacées.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from factories import FILLER, page

from portal.build.generations import current_generation
from portal.build.pipeline import build
from portal.config import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
GUIDE = PROJECT_ROOT / "docs" / "deploiement.md"
NGINX = shutil.which("nginx")
PMO_PORTAL = str(Path(sys.executable).with_name("pmo-portal"))

# Les lignes de portail.conf propres à l'installation, et leur remplacement pour le test.
LIGNE_TLS = "include /etc/nginx/snippets/portail-tls.conf;"
LIGNE_RACINE = "root /srv/pmo-portal/site;"
LIGNE_GUNICORN = "server 127.0.0.1:8000;"


def _modules_manquants() -> list[str]:
    if not NGINX:
        return []
    version = subprocess.run([NGINX, "-V"], capture_output=True, text=True, check=False)
    options = version.stdout + version.stderr
    return [m for m in ("http_auth_request_module", "http_gzip_static_module", "http_realip_module") if m not in options]


def _nginx_requis() -> None:
    if not NGINX:
        pytest.skip("nginx n'est pas installé (apt-get install nginx-light) : "
                    "la configuration deploy/nginx/portail.conf n'est pas essayée")
    manquants = _modules_manquants()
    if manquants:
        pytest.skip(f"nginx compilé sans {', '.join(manquants)}, dont deploy/nginx/portail.conf a besoin")


def port_libre() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def attendre_port(port: int, processus: subprocess.Popen, journal: Path, delai: float = 30) -> None:
    fin = time.monotonic() + delai
    while time.monotonic() < fin:
        if processus.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"le port {port} ne répond pas :\n{journal.read_text(errors='replace')}")


class Reponse:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def unique(self, name: str) -> str:
        """La valeur d'un en-tête présent exactement une fois."""
        values = self.headers.get_all(name) or []
        assert len(values) == 1, f"{name} : {values}"
        return values[0]


def demander(port: int, path: str, method: str = "GET", headers: dict | None = None,
             body: bytes | None = None) -> Reponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Reponse(response.status, response.headers, response.read())
    finally:
        conn.close()


def rendre_portail_conf(site: Path, port_gunicorn: int, port_nginx: int) -> str:
    """deploy/nginx/portail.conf, ses trois lignes d'installation remplacées."""
    remplacements = {
        LIGNE_TLS: f"listen 127.0.0.1:{port_nginx};",
        LIGNE_RACINE: f"root {site};",
        LIGNE_GUNICORN: f"server 127.0.0.1:{port_gunicorn};",
    }
    lignes = (DEPLOY / "nginx" / "portail.conf").read_text(encoding="utf-8").splitlines(keepends=True)
    for avant, apres in remplacements.items():
        trouvees = [i for i, ligne in enumerate(lignes) if ligne.strip() == avant]
        assert len(trouvees) == 1, f"portail.conf doit contenir la ligne « {avant} » une seule fois"
        i = trouvees[0]
        lignes[i] = lignes[i].replace(avant, apres)
    return "".join(lignes)


def _mime_types() -> str:
    version = subprocess.run([NGINX, "-V"], capture_output=True, text=True, check=False)
    found = re.search(r"--conf-path=(\S+)", version.stderr + version.stdout)
    conf_dir = Path(found.group(1)).parent if found else Path("/etc/nginx")
    mime = conf_dir / "mime.types"
    if mime.is_file():
        return f"include {mime};"
    return ("types { text/html html; text/css css; application/javascript js; "
            "application/json json; image/png png; image/svg+xml svg; text/xml xml; }")


def rendre_nginx_conf(dossier: Path, portail_conf: Path) -> str:
    """Le nginx.conf du test : ce que Debian met autour de sites-enabled/, dans `dossier`."""
    utilisateur = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{utilisateur}worker_processes 1;
events {{ worker_connections 64; }}
http {{
    {_mime_types()}
    default_type application/octet-stream;
    sendfile on;
    access_log {dossier}/access.log;
    client_body_temp_path {dossier}/tmp/corps;
    proxy_temp_path {dossier}/tmp/proxy;
    fastcgi_temp_path {dossier}/tmp/fastcgi;
    uwsgi_temp_path {dossier}/tmp/uwsgi;
    scgi_temp_path {dossier}/tmp/scgi;
    include {portail_conf};
}}
"""


class Pile:
    """gunicorn (`pmo-portal serve`) et nginx devant lui, comme en production."""

    def __init__(self, settings, dossier: Path, env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.dossier = dossier
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")},
            "PORTAL_ROOT": str(settings.root),
            "PORTAL_DATABASE_URL": settings.database_url,
            "PORTAL_SECRET_KEY": "secret-de-test",
            **(env or {}),
        }
        self.port_gunicorn = port_libre()
        self.port_nginx = port_libre()
        self.journal_gunicorn = dossier / "gunicorn.log"
        self.journal_nginx = dossier / "error.log"
        self.gunicorn: subprocess.Popen | None = None
        self.nginx: subprocess.Popen | None = None
        self._fichiers: list = []

    def _lancer(self, commande: list[str], journal: Path) -> subprocess.Popen:
        sortie = open(journal, "ab")  # noqa: SIM115 (fermé par arreter())
        self._fichiers.append(sortie)
        return subprocess.Popen(commande, env=self.env, stdin=subprocess.DEVNULL,
                                stdout=sortie, stderr=subprocess.STDOUT)

    def demarrer(self) -> Pile:
        self.gunicorn = self._lancer(
            [PMO_PORTAL, "serve", "--port", str(self.port_gunicorn), "--workers", "2"],
            self.journal_gunicorn,
        )
        attendre_port(self.port_gunicorn, self.gunicorn, self.journal_gunicorn)
        assert self.direct("/api/health").status == 200, self.journal_gunicorn.read_text()

        (self.dossier / "tmp").mkdir()
        portail_conf = self.dossier / "portail.conf"
        portail_conf.write_text(
            rendre_portail_conf(self.settings.site_dir, self.port_gunicorn, self.port_nginx),
            encoding="utf-8",
        )
        nginx_conf = self.dossier / "nginx.conf"
        nginx_conf.write_text(rendre_nginx_conf(self.dossier, portail_conf), encoding="utf-8")
        commande = [NGINX, "-p", str(self.dossier), "-c", str(nginx_conf), "-e", str(self.journal_nginx),
                    "-g", f"daemon off; pid {self.dossier}/nginx.pid; error_log {self.journal_nginx} notice;"]
        essai = subprocess.run([*commande, "-t"], capture_output=True, text=True, check=False)
        assert essai.returncode == 0, f"nginx -t refuse la configuration :\n{essai.stderr}"
        self.nginx = self._lancer(commande, self.dossier / "nginx.out")
        attendre_port(self.port_nginx, self.nginx, self.journal_nginx)
        return self

    def par_nginx(self, path: str, **kwargs) -> Reponse:
        return demander(self.port_nginx, path, **kwargs)

    def direct(self, path: str, **kwargs) -> Reponse:
        return demander(self.port_gunicorn, path, **kwargs)

    def journal_du_portail(self, attendu: str, delai: float = 10) -> str:
        """Le journal d'accès de gunicorn, une fois qu'il mentionne `attendu`."""
        fin = time.monotonic() + delai
        while True:
            texte = self.journal_gunicorn.read_text(errors="replace")
            if attendu in texte or time.monotonic() > fin:
                return texte
            time.sleep(0.1)

    @staticmethod
    def _stopper(processus: subprocess.Popen | None, sig: int) -> None:
        if processus is None or processus.poll() is not None:
            return
        processus.send_signal(sig)
        try:
            processus.wait(timeout=20)
        except subprocess.TimeoutExpired:
            processus.kill()
            processus.wait()

    def arreter_gunicorn(self) -> None:
        self._stopper(self.gunicorn, signal.SIGTERM)

    def arreter(self) -> None:
        self._stopper(self.nginx, signal.SIGQUIT)
        self.arreter_gunicorn()
        for sortie in self._fichiers:
            sortie.close()
        self._fichiers.clear()


@pytest.fixture
def pile(site_settings, tmp_path):
    """Démarre le site construit, gunicorn et nginx ; `pile(env)` pour changer l'environnement."""
    _nginx_requis()
    build(site_settings)
    piles: list[Pile] = []

    def demarrer(env: dict[str, str] | None = None) -> Pile:
        dossier = tmp_path / f"nginx-{len(piles)}"
        dossier.mkdir()
        nouvelle = Pile(site_settings, dossier, env)
        piles.append(nouvelle)
        return nouvelle.demarrer()

    yield demarrer
    for une in piles:
        une.arreter()


def _verifier_site_et_portail(p: Pile, mot_du_guide: str) -> None:
    site = p.settings.site_dir
    politique = p.direct("/api/health").unique("Content-Security-Policy")
    assert "'sha256-" in politique

    # Une page statique : servie par nginx, dans sa version .gz écrite par la construction.
    page_guide = p.par_nginx("/guides/guide/", headers={"Accept-Encoding": "gzip"})
    assert page_guide.status == 200
    assert page_guide.unique("Content-Encoding") == "gzip"
    assert page_guide.body == (site / "guides" / "guide" / "index.html.gz").read_bytes()
    assert mot_du_guide in gzip.decompress(page_guide.body).decode("utf-8")
    assert "Accept-Encoding" in page_guide.unique("Vary")
    assert page_guide.unique("Content-Type").startswith("text/html")
    assert page_guide.unique("Cache-Control") == "no-cache"
    # Les en-têtes de sécurité, et la politique du portail pour la génération en service.
    assert page_guide.unique("Content-Security-Policy") == politique
    assert page_guide.unique("X-Content-Type-Options") == "nosniff"
    assert page_guide.unique("X-Frame-Options") == "DENY"
    sans_gzip = p.par_nginx("/guides/guide/")
    assert sans_gzip.headers.get("Content-Encoding") is None
    assert sans_gzip.body == (site / "guides" / "guide" / "index.html").read_bytes()

    # Une ressource du thème à empreinte : cache long ; une ressource sans empreinte : 5 min.
    theme = next((site / "assets" / "stylesheets").glob("main.*.min.css"))
    ressource = p.par_nginx(f"/assets/stylesheets/{theme.name}")
    assert ressource.status == 200 and ressource.body == theme.read_bytes()
    assert ressource.unique("Cache-Control") == "public, max-age=31536000, immutable"
    assert ressource.unique("Content-Type").startswith("text/css")
    assert p.par_nginx("/assets/portal/portal.css").unique("Cache-Control") == "public, max-age=300"

    # Les routes du portail passent par gunicorn.
    sante = p.par_nginx("/api/health")
    assert sante.status == 200 and json.loads(sante.body)["status"] == "ok"
    recherche = p.par_nginx("/search?q=guide")
    assert recherche.status == 200 and "résultat" in recherche.text
    for reponse in (sante, recherche):
        assert reponse.unique("Content-Security-Policy") == politique
        assert reponse.unique("X-Content-Type-Options") == "nosniff"
        assert reponse.unique("Referrer-Policy") == "strict-origin-when-cross-origin"
        assert reponse.unique("X-Frame-Options") == "DENY"

    connexion = p.par_nginx("/login", method="POST", body=b"email=a%40exemple.fr&password=x",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert connexion.status == 400
    assert "Jeton de sécurité (CSRF) manquant ou expiré" in connexion.text
    assert connexion.unique("Content-Security-Policy") == politique

    for inconnue in ("/nulle/part/", "/nulle-part"):
        absente = p.par_nginx(inconnue)
        assert absente.status == 404 and "Page introuvable" in absente.text, inconnue
        assert absente.unique("Content-Security-Policy") == politique

    # Un dossier sans barre finale : le portail (WhiteNoise) redirige vers la page.
    redirection = p.par_nginx("/guides/guide")
    assert redirection.status in (301, 302)
    assert redirection.unique("Location") in ("guide/", "/guides/guide/")

    # Le portail n'a jamais vu passer les fichiers statiques, seulement la demande de politique.
    journal = p.journal_du_portail('"GET /nulle-part ')
    assert '"GET /search?q=guide ' in journal and '"POST /login ' in journal
    assert "HEAD /404.html?origine=nginx-csp" in journal
    assert '"GET /guides/guide/ ' not in journal
    assert "GET /assets/" not in journal


def test_nginx_sert_le_site_et_relaie_le_portail_meme_apres_reconstruction(pile):
    p = pile()
    _verifier_site_et_portail(p, "Étapes")
    pid_nginx = p.nginx.pid
    premiere = current_generation(p.settings.var_dir)

    # Nouvelle version du contenu, reconstruite comme en production : rien à recharger.
    guide = p.settings.content_dir / "guides" / "guide.md"
    guide.write_text(page("Guide", f"# Guide\n\n## Étapes\n\nLe palimpseste trimestriel.\n\n"
                                   f"{FILLER}\n\n## Pièges\n\n{FILLER}"), encoding="utf-8")
    construction = subprocess.run([PMO_PORTAL, "build"], env=p.env, capture_output=True, text=True,
                                  check=False)
    assert construction.returncode == 0, construction.stderr
    assert current_generation(p.settings.var_dir) != premiere

    _verifier_site_et_portail(p, "palimpseste trimestriel")
    recherche = p.par_nginx("/search?q=palimpseste")
    assert recherche.status == 200 and "/guides/guide/" in recherche.text
    assert p.nginx.poll() is None and p.nginx.pid == pid_nginx
    assert "reconfiguring" not in p.journal_nginx.read_text(errors="replace")


def test_nginx_filtre_l_identite_sso_et_sert_le_site_sans_le_portail(pile):
    p = pile({"PORTAL_AUTH": "header"})
    usurpation = {"X-Forwarded-User": "intrus@exemple.fr", "X-Forwarded-Team": "Direction"}

    # gunicorn croit l'en-tête venu de 127.0.0.1 ; nginx l'efface pour un client ordinaire.
    assert json.loads(p.direct("/api/me", headers=usurpation).body)["user"]["email"] == "intrus@exemple.fr"
    assert json.loads(p.par_nginx("/api/me", headers=usurpation).body)["user"] is None

    # Portail arrêté : les pages restent servies, sous une politique stricte sans script en ligne.
    p.arreter_gunicorn()
    accueil = p.par_nginx("/")
    assert accueil.status == 200 and accueil.body == (p.settings.site_dir / "index.html").read_bytes()
    politique = accueil.unique("Content-Security-Policy")
    assert "script-src 'self';" in politique and "sha256" not in politique
    assert accueil.unique("Cache-Control") == "no-store"
    assert p.par_nginx("/guides/guide/").status == 200
    assert p.par_nginx("/api/health").status == 502

    # Les tentatives de connexion sont limitées par adresse de client, en amont du portail.
    statuts = [p.par_nginx("/login", method="POST", body=b"email=x").status for _ in range(40)]
    assert statuts[0] == 502 and statuts[-1] == 429
    refus = p.par_nginx("/login", method="POST", body=b"email=x")
    assert refus.status == 429 and "Trop de tentatives" in refus.text
    assert refus.unique("Retry-After") == "60"
    assert p.par_nginx("/login").status == 502  # la consultation de la page n'est pas comptée


# --- Le guide et les fichiers de deploy/ ----------------------------------------------

_BLOC = re.compile(r'^```[\w-]* title="(deploy/[^"]+)"\n(.*?)^```$', re.M | re.S)
_CHEMIN = re.compile(r"\bdeploy/[\w./-]*[\w-]")


def test_le_guide_montre_les_fichiers_de_deploy_tels_quels():
    guide = GUIDE.read_text(encoding="utf-8")
    mentionnes = set(_CHEMIN.findall(guide))
    assert mentionnes, "le guide ne mentionne aucun fichier de deploy/"
    absents = sorted(c for c in mentionnes if not (PROJECT_ROOT / c).is_file())
    assert not absents, f"fichiers cités par docs/deploiement.md et absents : {absents}"
    blocs = _BLOC.findall(guide)
    assert blocs, "le guide ne reproduit aucun fichier de deploy/"
    for chemin, contenu in blocs:
        assert contenu == (PROJECT_ROOT / chemin).read_text(encoding="utf-8"), (
            f"docs/deploiement.md ne reproduit plus {chemin} à l'identique"
        )
    livres = {str(f.relative_to(PROJECT_ROOT)) for f in DEPLOY.rglob("*") if f.is_file()}
    assert livres <= mentionnes, f"fichiers de deploy/ que le guide ne présente pas : {sorted(livres - mentionnes)}"
