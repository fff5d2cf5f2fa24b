"""Status words as accounting systems and clerks write them, in six languages, to arcollect's six.

An export says "Received", "Partially Paid", "VENCIDA", "In Dispute" or
"Written off"; arcollect knows open, disputed, promise, plan, legal and closed.
Items on hold are held like disputed ones (not contacted until resolved).

A closed word also says how the item closed (closing_of): paid ("Paid",
"Settled", "Received", "Bezahlt"), written off ("Written off", "Bad debt",
"Abgeschrieben") or void ("Void", "Cancelled", "Credited", "Storniert"); a
word that does not say ("Closed", "Done", "Geschlossen") is "" — the close
counts its balance as received, as most exports mean it.
"""
from __future__ import annotations

import re

from .schema import fold

_WORDS = {
    "open": (
        "", "open", "opened", "due", "overdue", "past due", "not due", "not yet due", "current", "unpaid",
        "not paid", "outstanding", "partial", "partially paid", "part paid", "partly paid", "pending",
        "awaiting payment", "issued", "sent", "viewed", "posted", "invoiced", "late", "active", "new",
        "financed", "approved", "delinquent", "in arrears", "reminded", "dunned",
        "offen", "fallig", "uberfallig", "unbezahlt", "teilbezahlt", "teilweise bezahlt", "ausstehend",
        "gemahnt", "nicht fallig",
        "ouvert", "ouverte", "en cours", "echu", "echue", "impaye", "impayee", "en retard", "partiel",
        "partiellement paye", "partiellement payee", "a payer", "en attente", "non echu", "non echue",
        "abierta", "abierto", "pendiente", "vencida", "vencido", "impagada", "impagado", "no pagado",
        "no pagada", "parcial", "pagada parcialmente", "parcialmente pagada", "pago parcial", "por cobrar",
        "por vencer", "en mora", "atrasada", "atrasado", "emitida",
        "openstaand", "vervallen", "achterstallig", "onbetaald", "gedeeltelijk betaald", "deels betaald",
        "te betalen", "niet vervallen",
        "aperta", "aperto", "scaduta", "scaduto", "insoluta", "insoluto", "non pagata", "non pagato",
        "da incassare", "parziale", "parzialmente pagata", "in scadenza", "a scadere", "non scaduta"),
    "disputed": (
        "disputed", "dispute", "in dispute", "contested", "query", "queried", "on query", "on hold", "hold",
        "held", "blocked", "strittig", "bestritten", "reklamiert", "reklamation", "gesperrt", "conteste",
        "contestee", "litige", "en litige", "bloque", "bloquee", "disputada", "disputado", "en disputa",
        "reclamada", "reclamado", "en reclamacion", "bloqueada", "betwist", "in geschil", "geblokkeerd",
        "contestata", "contestato", "in contestazione", "bloccata", "sospesa"),
    "promise": (
        "promise", "promised", "promise to pay", "ptp", "payment promised", "zahlungszusage", "zugesagt",
        "promesse", "promesse de paiement", "promesa", "promesa de pago", "toezegging", "betalingsbelofte",
        "promessa", "promessa di pagamento"),
    "plan": (
        "plan", "payment plan", "on plan", "instalment", "instalments", "installment", "installments",
        "arrangement", "payment arrangement", "ratenzahlung", "ratenplan", "echeancier", "plan de pago",
        "acuerdo de pago", "betalingsregeling", "piano di rientro", "rateizzazione", "rateizzata"),
    "legal": (
        "legal", "agency", "collections", "collection", "in collection", "in collections",
        "debt collection", "lawyer", "solicitor", "court", "litigation", "inkasso", "mahnverfahren",
        "anwalt", "gericht", "contentieux", "recouvrement", "huissier", "judicial", "cobranza judicial",
        "abogado", "juridico", "deurwaarder", "incassobureau", "legale", "recupero crediti", "avvocato"),
    "closed": (
        "closed", "paid", "fully paid", "paid in full", "settled", "received", "cleared", "collected",
        "written off", "write off", "writeoff", "bad debt", "void", "voided", "cancelled", "canceled",
        "reversed", "credited", "refunded", "done", "complete", "completed",
        "bezahlt", "erledigt", "ausgeglichen", "geschlossen", "storniert", "abgeschrieben", "beglichen",
        "paye", "payee", "regle", "reglee", "solde", "soldee", "cloture", "cloturee", "ferme", "fermee",
        "annule", "annulee", "passe en perte",
        "pagada", "pagado", "cobrada", "cobrado", "cerrada", "cerrado", "liquidada", "liquidado", "anulada",
        "anulado", "cancelada", "cancelado", "saldada", "saldado",
        "betaald", "voldaan", "gesloten", "afgeboekt", "geannuleerd", "vereffend",
        "pagata", "pagato", "saldata", "saldato", "incassata", "incassato", "chiusa", "chiuso", "annullata",
        "annullato", "stornata", "stornato"),
}


# closing class -> the closed words that say it (every one of them is in _WORDS["closed"])
_CLOSINGS = {
    "paid": (
        "paid", "fully paid", "paid in full", "settled", "received", "cleared", "collected", "refunded",
        "bezahlt", "ausgeglichen", "beglichen", "paye", "payee", "regle", "reglee", "solde", "soldee",
        "pagada", "pagado", "cobrada", "cobrado", "liquidada", "liquidado", "saldada", "saldado",
        "betaald", "voldaan", "vereffend", "pagata", "pagato", "saldata", "saldato", "incassata", "incassato"),
    "written off": ("written off", "write off", "writeoff", "bad debt", "abgeschrieben", "passe en perte",
                    "afgeboekt"),
    "void": ("void", "voided", "cancelled", "canceled", "reversed", "credited", "storniert", "annule",
             "annulee", "anulada", "anulado", "cancelada", "cancelado", "geannuleerd", "annullata", "annullato",
             "stornata", "stornato"),
}
CLOSINGS = tuple(_CLOSINGS)


def status_key(text) -> str:
    """The form status words compare in: letters only, without accents or case."""
    return re.sub(r"[^a-z]", "", fold(text))


STATUS_WORDS = {status_key(w): status for status, words in _WORDS.items() for w in words}
CLOSING_WORDS = {status_key(w): closing for closing, words in _CLOSINGS.items() for w in words}


def status_of(text) -> str | None:
    """arcollect's status for a status word ('Partially Paid' -> 'open', blank -> 'open'), or None when unknown."""
    key = status_key(text)
    return STATUS_WORDS.get(key) if key or not str(text).strip() else None


def closing_of(text) -> str:
    """How a closed item closed: "paid", "written off", "void", or "" when its word does not say (or it is
    not closed)."""
    return CLOSING_WORDS.get(status_key(text), "")
