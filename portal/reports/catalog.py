"""The reports the PMO can read and export: name → title, columns, data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import queries


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    columns: list[tuple[str, str]]
    build: Callable[..., list[dict[str, Any]]]  # (session, catalog, filters, repo_url) -> rows


def _no_catalog(fn):
    return lambda session, catalog, filters, repo_url: fn(session, filters)


COMPLETION_COLUMNS = [("inscrits", "Inscrits"), ("en_cours", "En cours"), ("termines", "Terminés"),
                      ("taux", "Taux d'achèvement (%)")]
SEARCH_COLUMNS = [("requete", "Requête normalisée"), ("exemple", "Exemple saisi"), ("recherches", "Recherches")]

REPORTS = {r.name: r for r in [
    Report("completion-equipes", "Achèvement des parcours par équipe",
           [("parcours", "Parcours"), ("equipe", "Équipe")] + COMPLETION_COLUMNS,
           lambda s, c, f, u: queries.completion_by_team(s, c, f)),
    Report("completion-mois", "Achèvement des parcours par mois d'arrivée",
           [("parcours", "Parcours"), ("mois_arrivee", "Mois d'arrivée")] + COMPLETION_COLUMNS,
           lambda s, c, f, u: queries.completion_by_month(s, c, f)),
    Report("apprenants-bloques", f"Apprenants sans activité depuis plus de {queries.STUCK_DAYS} jours",
           [("apprenant", "Apprenant"), ("email", "E-mail"), ("equipe", "Équipe"), ("parcours", "Parcours"),
            ("etape", "Étape en attente"), ("derniere_activite", "Dernière activité"), ("jours", "Jours")],
           lambda s, c, f, u: queries.stuck_learners(s, c, f)),
    Report("quiz", "Résultats par quiz",
           [("quiz", "Quiz"), ("tentatives", "Tentatives"), ("taux_reussite", "Taux de réussite (%)"),
            ("moyenne", "Score moyen (%)"), ("mediane", "Score médian (%)"),
            ("tentatives_pour_reussir", "Tentatives pour réussir (moyenne)")],
           lambda s, c, f, u: queries.quiz_stats(s, c, f)),
    Report("distribution-scores", "Distribution des scores",
           [("tranche", "Score"), ("tentatives", "Tentatives")], _no_catalog(queries.score_distribution)),
    Report("questions", "Analyse des questions",
           [("quiz", "Quiz"), ("question", "Question"), ("reponses", "Réponses"),
            ("facilite", "Indice de facilité"), ("discrimination", "Indice de discrimination"),
            ("mauvais_choix", "Part de chaque mauvais choix"), ("a_revoir", "À revoir"),
            ("enonce", "Énoncé"), ("fichier", "Fichier")],
           lambda s, c, f, u: queries.item_analysis(s, c, f, u)),
    Report("recherches", "Requêtes les plus fréquentes",
           SEARCH_COLUMNS + [("resultats_moyens", "Résultats (moyenne)")], _no_catalog(queries.top_queries)),
    Report("recherches-sans-resultat", "Requêtes sans résultat",
           SEARCH_COLUMNS + [("derniere", "Dernière fois")], _no_catalog(queries.zero_result_queries)),
    Report("recherches-sans-clic", "Requêtes dont personne n'a ouvert de résultat",
           SEARCH_COLUMNS + [("resultats_moyens", "Résultats (moyenne)")], _no_catalog(queries.unopened_queries)),
    Report("fraicheur", "Fraîcheur du contenu",
           [("page", "Page"), ("type", "Type"), ("responsable", "Responsable"),
            ("derniere_revue", "Dernière revue"), ("prochaine_revue", "Prochaine revue"), ("etat", "État"),
            ("fichier", "Fichier")],
           lambda s, c, f, u: queries.freshness(c)),
    Report("lectures", "Pages lues par mois",
           [("mois", "Mois"), ("lectures", "Pages lues"), ("lecteurs", "Lecteurs")],
           _no_catalog(queries.pages_read_by_month)),
]}

PAGES = {
    "formation": ("Formation", ["completion-equipes", "completion-mois", "apprenants-bloques"]),
    "quiz": ("Quiz et questions", ["quiz", "distribution-scores", "questions"]),
    "recherche": ("Recherche", ["recherches", "recherches-sans-resultat", "recherches-sans-clic"]),
    "contenu": ("Contenu", ["fraicheur", "lectures"]),
}
