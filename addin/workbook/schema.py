"""Which column is which, by its header: the words receivables exports use, in six languages.

A header is matched, strongest first: ``setting`` (a ``Column: field`` line in
Settings), ``exact`` (the template's own header or the field's name),
``synonym`` (a known whole header: "Balance Due", "Zahlbar bis", "N° facture")
or ``token`` (its words say so: "Document_Ref", "pduedate", "Outstanding
value", "customerID"). Headers compare case-, accent-, spacing- and
punctuation-insensitively with camelCase split, so "InvoiceAmount", "invoice
amount" and "Invoice_Amount" are one header. What headers cannot tell, the
columns' content decides (inference.py).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# field -> how messages and Settings name it ("Column: due date = Zahlbar bis")
LABELS = {
    "customer_id": "customer id", "customer": "customer", "document": "document", "doc_type": "type",
    "invoice_date": "invoice date", "due_date": "due date", "paid_date": "paid date",
    "closed_date": "closed date", "balance": "open balance", "amount": "amount", "paid": "paid", "currency": "currency",
    "status": "status", "hold_until": "hold until", "contact": "contact", "email": "email",
    "phone": "phone", "address": "address", "customer_type": "customer type", "language": "language",
    "time_zone": "time zone", "do_not_contact": "do not contact", "notes": "notes",
}
# field -> the header arcollect's own template writes (an exact match)
EXACT = {
    "customer_id": "Customer ID", "customer": "Customer", "contact": "Contact Name", "email": "Email",
    "phone": "Phone", "document": "Invoice #", "invoice_date": "Invoice Date", "due_date": "Due Date",
    "amount": "Amount", "paid": "Paid", "paid_date": "Paid Date", "closed_date": "Closed Date",
    "currency": "Currency", "status": "Status", "hold_until": "Hold Until", "customer_type": "Customer Type",
    "language": "Language", "notes": "Notes", "balance": "Open Balance", "address": "Address",
    "time_zone": "Time Zone", "do_not_contact": "Do Not Contact", "doc_type": "Type",
}

# field -> whole headers, in order of preference: English, German, French, Spanish, Dutch, Italian
SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "customer id", "customer #", "customer no", "customer number", "customer code", "cust id",
        "cust no", "client id", "client no", "client code", "account #", "account no", "account number",
        "account id", "debtor id", "debtor no", "ar id", "arid",
        "kundennr", "kunden nr", "kundennummer", "kunden id", "debitor", "debitorennr", "debitorennummer",
        "no client", "code client", "numero client", "id client", "ref client",
        "codigo cliente", "cod cliente", "id cliente", "numero cliente", "nro cliente",
        "klantnummer", "klantnr", "klant id", "debiteurnummer", "debiteurnr",
        "codice cliente", "cod cliente", "id cliente"),
    "document": (
        "invoice", "invoice #", "inv #", "invoice no", "invoice number", "invoice id", "inv no", "num",
        "number", "no", "#", "document", "document #", "document no", "document number", "doc #", "doc no",
        "reference", "ref", "bill no", "transaction no",
        "rechnung", "rechnungsnr", "rechnungs nr", "rechnungsnummer", "re nr", "beleg", "belegnr",
        "belegnummer", "beleg nr",
        "facture", "no facture", "numero facture", "numero de facture", "n facture", "piece",
        "reference facture",
        "factura", "no factura", "numero factura", "numero de factura", "num factura", "nro factura",
        "documento", "comprobante", "folio",
        "factuur", "factuurnummer", "factuurnr", "factuur nr",
        "fattura", "numero fattura", "n fattura", "num fattura", "numero documento"),
    "doc_type": (
        "type", "transaction type", "document type", "doc type", "belegart", "dokumentart",
        "type de piece", "type de document", "tipo", "tipo documento", "tipo de documento",
        "soort", "documentsoort", "tipo doc"),
    "invoice_date": (
        "invoice date", "inv date", "date", "document date", "doc date", "transaction date", "issue date",
        "issued", "posting date", "bill date",
        "rechnungsdatum", "belegdatum", "datum", "date facture", "date de facture", "date de la facture",
        "fecha", "fecha factura", "fecha de factura", "fecha emision", "fecha de emision", "factuurdatum",
        "data fattura", "data documento", "data emissione", "data"),
    "due_date": (
        "due date", "due", "net due", "due on", "due by", "payment due", "date due", "payment due date",
        "zahlbar bis", "fallig", "fallig am", "falligkeit", "falligkeitsdatum", "faellig",
        "echeance", "date d echeance", "date echeance", "date limite de paiement",
        "vencimiento", "fecha vencimiento", "fecha de vencimiento", "vence",
        "vervaldatum", "vervaldag", "verval", "scadenza", "data scadenza", "data di scadenza"),
    "paid_date": (
        "paid date", "payment date", "date paid", "last payment date", "last payment", "received date",
        "date received", "settled date", "cleared date",
        "zahlungsdatum", "bezahlt am", "zahldatum", "date de paiement", "date paiement", "date de reglement",
        "fecha de pago", "fecha pago", "betaaldatum", "datum betaling", "data pagamento", "data incasso"),
    "closed_date": (
        "closed date", "date closed", "closed on", "close date", "closing date", "written off date",
        "write off date", "date written off", "void date", "voided date", "cancelled date", "cancellation date",
        "abschlussdatum", "ausbuchungsdatum", "stornodatum", "date de cloture", "date d annulation",
        "fecha de cierre", "fecha cierre", "fecha de anulacion", "afsluitdatum", "data chiusura",
        "data di chiusura"),
    "balance": (
        "open balance", "balance", "balance due", "amount due", "outstanding", "outstanding amount",
        "outstanding balance", "open amount", "amount outstanding", "remaining", "remaining amount",
        "due amount", "amount remaining", "balance outstanding",
        "offen", "offener betrag", "offene betrag", "offener posten", "restbetrag", "saldo", "offen betrag",
        "solde", "montant du", "reste a payer", "restant du", "solde du",
        "saldo pendiente", "saldo actual", "pendiente", "importe pendiente", "saldo insoluto",
        "openstaand", "openstaand bedrag", "openstaand saldo",
        "residuo", "importo residuo", "da incassare", "saldo residuo"),
    "amount": (
        "amount", "invoice amount", "original amount", "total", "invoice total", "gross", "amount gross",
        "gross amount", "total amount",
        "betrag", "rechnungsbetrag", "bruttobetrag", "summe", "gesamtbetrag",
        "montant", "montant ttc", "montant facture", "total ttc",
        "importe", "monto", "total factura", "importe total",
        "bedrag", "factuurbedrag", "totaalbedrag",
        "importo", "importo fattura", "totale"),
    "paid": (
        "paid", "amount paid", "paid amount", "paid to date", "payments", "payment", "amount received",
        "received",
        "bezahlt", "gezahlt", "zahlungen", "zahlungseingang", "montant paye", "paye", "deja paye",
        "pagado", "importe pagado", "monto pagado", "cobrado", "betaald", "betaald bedrag",
        "pagato", "importo pagato", "incassato"),
    "currency": (
        "currency", "curr", "ccy", "currency code", "cur", "wahrung", "wahrungscode", "devise", "monnaie",
        "moneda", "divisa", "valuta"),
    "status": (
        "status", "collection status", "invoice status", "payment status", "state", "zustand",
        "statut", "etat", "estado", "estatus", "stato"),
    "hold_until": ("hold until", "on hold until", "hold", "gesperrt bis", "bloque jusqu au",
                   "retenido hasta", "geblokkeerd tot", "bloccato fino al"),
    "customer": (
        "customer", "customer name", "client", "client name", "account name", "debtor", "name", "bill to",
        "sold to", "contact",
        "kunde", "kundenname", "kunden name", "name des kunden", "debitorname",
        "nom du client", "nom client", "raison sociale",
        "cliente", "nombre cliente", "nombre del cliente", "razon social", "nombre",
        "klant", "klantnaam", "naam klant", "debiteur", "debiteurnaam",
        "nome cliente", "ragione sociale", "nominativo"),
    "contact": ("contact name", "contact person", "attention", "attn", "contact", "ansprechpartner",
                "kontakt", "interlocuteur", "contacto", "contactpersoon", "referente"),
    "email": ("email", "e mail", "email address", "e mail address", "mail", "e mail adresse",
              "courriel", "correo", "correo electronico"),
    "phone": ("phone", "telephone", "tel", "phone number", "mobile", "telefon", "telefono", "telefoon"),
    "address": ("address", "billing address", "postal address", "bill to address", "adresse", "anschrift",
                "direccion", "adres", "indirizzo"),
    "customer_type": ("customer type", "business consumer", "b2b b2c", "segment", "kundentyp",
                      "type de client", "tipo de cliente", "klanttype", "tipo cliente"),
    "language": ("language", "lang", "sprache", "langue", "idioma", "taal", "lingua"),
    "time_zone": ("time zone", "timezone", "tz", "zeitzone", "fuseau horaire", "zona horaria", "tijdzone"),
    "do_not_contact": ("do not contact", "dnc", "no contact"),
    "notes": ("notes", "note", "memo", "memo description", "comment", "comments", "remarks", "bemerkung",
              "remarque", "notas", "opmerking", "note interne"),
}

# concept -> word stems; a header's words are covered by stems (compounds split: "pduedate", "codcli")
CONCEPTS: dict[str, tuple[str, ...]] = {
    "customer": ("customer", "customers", "cust", "client", "clients", "cliente", "clientes", "cli", "clt",
                 "kunde", "kunden", "klant", "klanten", "debtor", "debitor", "debiteur", "debitore",
                 "deudor", "buyer", "payer"),
    "name": ("name", "names", "nom", "nombre", "naam", "nome"),
    "number": ("number", "numbers", "num", "no", "nr", "nro", "nbr", "id", "code", "cod", "codigo",
               "codice", "nummer", "numero", "#", "n"),
    "invoice": ("invoice", "invoices", "inv", "invc", "rechnung", "rechnungs", "beleg", "facture",
                "factures", "factura", "facturas", "factuur", "fattura", "bill", "document", "documents",
                "doc", "docs", "documento", "comprobante", "voucher", "ref", "reference", "referenz",
                "referencia", "riferimento", "referentie", "folio", "transaction"),
    "date": ("date", "dates", "dt", "datum", "fecha", "fec", "data", "datetime"),
    "due": ("due", "fallig", "faellig", "falligkeit", "zahlbar", "echeance", "vencimiento", "venc", "vence",
            "vct", "vto", "verval", "vervaldag", "scadenza", "scad"),
    "overdue": ("overdue", "uberfallig", "ueberfaellig", "pastdue", "arrears"),
    "issue": ("issue", "issued", "emission", "emision", "emissione", "ausstellung", "posting", "posted",
              "created", "creation"),
    "paid": ("paid", "payment", "payments", "pay", "received", "receipt", "receipts", "settled",
             "settlement", "settle", "cleared", "collected", "bezahlt", "gezahlt", "zahlung", "zahlungen",
             "eingang", "paye", "paiement", "reglement", "pagado", "pago", "pagos", "cobrado", "cobro",
             "betaald", "betaling", "betaal", "ontvangen", "pagato", "pagamento", "incassato"),
    "amount": ("amount", "amounts", "amt", "total", "totals", "gross", "value", "valor", "valore", "wert",
               "sum", "summe", "betrag", "montant", "importe", "monto", "bedrag", "importo", "totale"),
    "original": ("original", "orig", "initial", "brutto", "billed"),
    "balance": ("balance", "bal", "outstanding", "open", "offen", "offene", "offener", "remaining",
                "remainder", "rest", "restbetrag", "owing", "owed", "saldo", "sld", "solde", "pendiente",
                "openstaand", "openstaande", "residuo", "residual", "restante", "unpaid"),
    "currency": ("currency", "currencies", "curr", "ccy", "cur", "crncy", "waehrung", "wahrung", "devise",
                 "monnaie", "moneda", "divisa", "valuta"),
    "status": ("status", "state", "estado", "estatus", "statut", "etat", "stato", "zustand", "situacion"),
    "days": ("days", "day", "tage", "tagen", "jours", "jour", "dias", "dia", "dagen", "dag", "giorni",
             "giorno", "age", "aging", "ageing", "dpd", "duration"),
    "type": ("type", "types", "typ", "art", "tipo", "soort", "kind", "class", "classe", "clase",
             "category", "categorie", "categoria", "segment", "group", "gruppe", "groupe", "grupo"),
    "percent": ("percent", "pct", "%", "rate", "ratio", "prozent", "taux", "tasa", "tasso", "share"),
    "limit": ("limit", "limits", "limite"),
    "tax": ("tax", "taxes", "vat", "mwst", "ust", "tva", "iva", "btw", "gst", "steuer", "impuesto",
            "imposta"),
    "method": ("mode", "method", "methode", "metodo", "means", "channel"),
    "terms": ("terms", "term", "condition", "conditions", "bedingung", "bedingungen", "condiciones",
              "termini"),
    "contact": ("contact", "contacts", "kontakt", "ansprechpartner", "contacto", "contatto",
                "contactpersoon", "attention", "attn"),
    "email": ("email", "emails", "mail", "correo", "courriel"),
    "phone": ("phone", "telephone", "tel", "telefon", "telefono", "telefoon", "mobile", "handy", "gsm"),
    "address": ("address", "addr", "adresse", "anschrift", "direccion", "adres", "indirizzo", "street",
                "strasse"),
    "language": ("language", "lang", "sprache", "langue", "idioma", "taal", "lingua"),
    "note": ("notes", "note", "memo", "comment", "comments", "remark", "remarks", "bemerkung", "notiz",
             "commentaire", "remarque", "nota", "notas", "opmerking", "commento", "description", "desc",
             "descripcion", "descrizione", "beschreibung"),
    "flag": ("flag", "is", "has", "indicator", "yn"),
    "hold": ("hold", "blocked", "gesperrt", "bloque"),
}

# field -> (concept sets any one of which the header must have, concepts it must not have)
_MONEY_NOT = {"date", "days", "percent", "limit", "number", "customer", "status", "currency", "overdue",
              "tax", "flag", "type", "terms", "method"}
PATTERNS: dict[str, tuple[tuple[frozenset, ...], frozenset]] = {
    "customer_id": ((frozenset({"customer", "number"}),),
                    frozenset({"name", "date", "amount", "balance", "paid", "type", "invoice"})),
    "customer": ((frozenset({"customer"}),),
                 frozenset({"number", "date", "amount", "balance", "paid", "type", "status", "currency",
                            "contact", "email", "phone", "address", "language", "invoice", "days", "limit",
                            "note", "percent"})),
    "document": ((frozenset({"invoice"}),),
                 frozenset({"date", "amount", "balance", "paid", "customer", "type", "due", "status",
                            "currency", "days", "tax", "note", "method", "terms", "name", "original"})),
    "doc_type": ((frozenset({"type", "invoice"}),), frozenset({"customer", "date", "amount"})),
    "invoice_date": ((frozenset({"date", "invoice"}), frozenset({"date", "issue"}), frozenset({"date"})),
                     frozenset({"due", "paid", "days", "hold", "customer", "overdue", "terms"})),
    "due_date": ((frozenset({"due"}),),
                 frozenset({"days", "amount", "balance", "paid", "status", "customer", "flag", "terms"})),
    "paid_date": ((frozenset({"paid", "date"}),), frozenset({"days", "amount", "balance", "due"})),
    "balance": ((frozenset({"balance"}),), frozenset(_MONEY_NOT | {"paid"})),
    "amount": ((frozenset({"amount"}),), frozenset(_MONEY_NOT | {"paid", "balance", "due"})),
    "paid": ((frozenset({"paid"}),), frozenset(_MONEY_NOT | {"balance", "due"})),
    "currency": ((frozenset({"currency"}),), frozenset({"amount", "percent", "date"})),
    "status": ((frozenset({"status"}),), frozenset({"date", "amount", "customer"})),
    "hold_until": ((frozenset({"hold", "date"}),), frozenset({"amount"})),
    "contact": ((frozenset({"contact"}),), frozenset({"email", "phone", "address", "date"})),
    "email": ((frozenset({"email"}),), frozenset({"date"})),
    "phone": ((frozenset({"phone"}),), frozenset({"date"})),
    "address": ((frozenset({"address"}),), frozenset({"email", "date"})),
    "customer_type": ((frozenset({"customer", "type"}),), frozenset({"date", "amount"})),
    "language": ((frozenset({"language"}),), frozenset()),
    "notes": ((frozenset({"note"}),), frozenset({"date", "amount"})),
}

# Columns arcollect writes into the Receivables sheet.
FLAG_HEADERS = ("Days Past Due", "Bucket", "Level")

STRENGTH = {"setting": 4, "exact": 3, "synonym": 2, "token": 1, "content": 0}


def fold(text) -> str:
    """Lower case without accents: 'Fällig' -> 'fallig', 'Échéance' -> 'echeance', 'Straße' -> 'strasse'."""
    s = unicodedata.normalize("NFKD", str(text)).casefold()
    return "".join(ch for ch in s if not unicodedata.combining(ch))


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z]{2})")
_UNIT = re.compile(r"\(\s*([^()]{1,5})\s*\)")


def words(header) -> list[str]:
    """A header's words: 'InvoiceAmount' -> ['invoice', 'amount'], 'N° facture' -> ['no', 'facture']."""
    s = _CAMEL.sub(" ", str(header))
    s = fold(s).replace("n°", "no ").replace("nº", "no ")
    return re.findall(r"[a-z]+|\d+|#|%", s)


def header_key(header) -> str:
    """The form headers and synonyms compare in: words joined by one space."""
    return " ".join(words(header))


def unit_hint(header) -> str:
    """The currency a header names in brackets ('Balance Due (₹)' -> 'INR', 'Open Advance (ILS)' -> 'ILS')."""
    m = _UNIT.search(str(header))
    if not m:
        return ""
    unit = m.group(1).strip()
    return _SYMBOLS.get(unit, unit.upper() if re.fullmatch(r"[A-Za-z]{3}", unit) else "")


_SYMBOLS = {"€": "EUR", "£": "GBP", "₹": "INR", "¥": "JPY", "₪": "ILS", "₩": "KRW", "₽": "RUB", "₺": "TRY",
            "zł": "PLN", "R$": "BRL", "CHF": "CHF", "US$": "USD"}

_STEM_CONCEPT = {s: c for c, stems in CONCEPTS.items() for s in stems}
# longest stems first, so at each place the longest known stem is taken ("rechnungs" before "rechnung")
_STEM_RE = re.compile("|".join(re.escape(s) for s in sorted(_STEM_CONCEPT, key=len, reverse=True) if len(s) > 1))


@lru_cache(maxsize=4096)
def concepts(header) -> tuple[frozenset, float]:
    """(concepts a header's words name, share of its letters they cover).

    Words are split into known stems, left to right, the longest at each place;
    a stem of three letters or fewer counts inside a longer word only beside
    another stem, so "pduedate" is due + date and "codcli" number + customer,
    while "global" is not "bal".
    """
    found: set[str] = set()
    covered = total = 0
    for w in words(_UNIT.sub(" ", str(header))):
        total += len(w)
        spans = _cover(w)
        covered += sum(e - s for s, e, _ in spans)
        found.update(c for _, _, c in spans)
    return frozenset(found), (covered / total if total else 0.0)


def _cover(word: str) -> list[tuple[int, int, str]]:
    if word in _STEM_CONCEPT:
        return [(0, len(word), _STEM_CONCEPT[word])]
    spans = [(m.start(), m.end(), _STEM_CONCEPT[m.group(0)]) for m in _STEM_RE.finditer(word)]
    return [sp for sp in spans if sp[1] - sp[0] > 3
            or any(o[1] == sp[0] or o[0] == sp[1] for o in spans if o is not sp)]


_EXACT_KEYS = {f: {header_key(h), header_key(LABELS[f]), header_key(f)} for f, h in EXACT.items()}
_SYNONYM_KEYS = {f: {header_key(s): rank for rank, s in reversed(list(enumerate(syns)))}
                 for f, syns in SYNONYMS.items()}
_SQUEEZED = {f: {k.replace(" ", ""): r for k, r in keys.items()} for f, keys in _SYNONYM_KEYS.items()}


@dataclass(frozen=True)
class Candidate:
    """One way a column could be a field: how strongly its header says so, and why."""

    field: str
    column: int  # 0-based index in the header row
    reason: str  # setting | exact | synonym | token | content
    score: float  # within a reason: higher is better

    @property
    def rank(self) -> tuple:
        return (STRENGTH[self.reason], self.score)


def header_candidates(header, column: int) -> list[Candidate]:
    """Every field this header could name, strongest first.

    A header that is an exact or synonym match for some field is not also taken
    by token for another ("Customer Type" is never the customer).
    """
    if not isinstance(header, str) or not header.strip():
        return []
    key = header_key(_UNIT.sub(" ", header)) or header_key(header)
    squeezed = key.replace(" ", "")
    out = [Candidate(f, column, "exact", 1.0) for f, keys in _EXACT_KEYS.items() if key in keys]
    for f, keys in _SYNONYM_KEYS.items():
        rank = keys.get(key, _SQUEEZED[f].get(squeezed))
        if rank is not None and not any(c.field == f for c in out):
            out.append(Candidate(f, column, "synonym", 1.0 - rank / 100))
    if out:
        return sorted(out, key=lambda c: c.rank, reverse=True)
    found, coverage = concepts(header)
    for f, (needs, never) in PATTERNS.items():
        if coverage >= 0.3 and not (found & never) and any(n <= found for n in needs):
            best = max(len(n) for n in needs if n <= found)
            out.append(Candidate(f, column, "token", coverage + best / 10))
    return sorted(out, key=lambda c: c.rank, reverse=True)


def field_for(text: str) -> str | None:
    """The field a Settings key names ("due date", "Open Balance", "customer_id"), or None."""
    squeezed = header_key(text).replace(" ", "")  # Settings keys arrive squeezed: "duedate"
    for f in LABELS:
        if squeezed in {k.replace(" ", "") for k in _EXACT_KEYS[f]} or squeezed in _SQUEEZED.get(f, {}):
            return f
    return None


def map_headers(headers: list, overrides: dict[str, str] | None = None) -> dict[str, int]:
    """{field: column index} for one header row by header alone (the Customers sheet)."""
    return {f: c.column for f, c in assign(headers, overrides).items()}


def setting_candidates(headers: list, overrides: dict[str, str] | None) -> tuple[list[Candidate], list[tuple]]:
    """(candidates from ``Column:`` settings, [(settings key, field or None, header)] of settings naming
    no field arcollect reads or no header in the row)."""
    keys = [header_key(h) if isinstance(h, str) else "" for h in headers]
    out, unmatched = [], []
    for key, header in (overrides or {}).items():
        f = field_for(key)
        want = header_key(header)
        if f is not None and want and want in keys:
            out.append(Candidate(f, keys.index(want), "setting", 1.0))
        else:
            unmatched.append((key, f, header))
    return out, unmatched


def assign(headers: list, overrides: dict[str, str] | None = None,
           accept=lambda c: True) -> dict[str, Candidate]:
    """{field: the candidate chosen} by header, each column for one field.

    Required fields choose first (so "Contact" is the customer when there is no
    customer column), then the rest; within each, the strongest match wins.
    ``accept`` lets the caller veto a candidate its column's content contradicts.
    """
    settings, _ = setting_candidates(headers, overrides)
    pool = settings + [c for j, h in enumerate(headers) for c in header_candidates(h, j)]
    pool = [c for c in pool if c.reason in ("setting", "exact") or accept(c)]
    chosen: dict[str, Candidate] = {}
    used: set[int] = set()
    for group in (REQUIRED_FIELDS, tuple(LABELS)):
        for c in sorted((c for c in pool if c.field in group), key=lambda c: c.rank, reverse=True):
            if c.field not in chosen and c.column not in used:
                chosen[c.field] = c
                used.add(c.column)
    return chosen


REQUIRED_FIELDS = ("customer", "customer_id", "document", "due_date", "invoice_date", "balance", "amount")


def groups_found(fields) -> int:
    """How many of what (a document or customer), when (a date) and how much (an amount) are there."""
    f = set(fields)
    return (bool(f & {"document", "customer", "customer_id"}) + bool(f & {"due_date", "invoice_date"})
            + bool(f & {"balance", "amount"}))
