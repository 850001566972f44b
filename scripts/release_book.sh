#!/bin/bash
# Build a book with data in every table (the release fixtures' book).
# Usage: scripts/release_book.sh .venv/bin/crm /tmp/release
#        python scripts/release_fixture.py /tmp/release/book.db tests/fixtures/releases/vN.sql
# where N is db.SCHEMA_VERSION; extend it with the commands that fill what a release adds.
set -e
C=${1:?usage: release_book.sh CRM WORKDIR}; W=${2:?usage: release_book.sh CRM WORKDIR}; rm -rf "$W"; mkdir -p $W/cfg/crmcli $W/vdir
export CRM_DB=$W/book.db CRM_NOW=2026-11-26T09:00 XDG_CONFIG_HOME=$W/cfg
cat > $W/cfg/crmcli/config.toml <<TOML
[remind]
from = "me@example.com"
to = "me@example.com"
sendmail = "/bin/sh -c 'cat >/dev/null'"

[sync]
command = ""
contacts = "$W/vdir/contacts"
tasks = "$W/vdir/tasks"
journal = "$W/vdir/journal"
TOML
mkdir -p $W/vdir/contacts $W/vdir/tasks $W/vdir/journal
$C demo >/dev/null
$C field add budget --type number >/dev/null
$C field add sector --type choice --choices retail,energy,food --on companies >/dev/null
$C edit jose --set budget=12000 >/dev/null
$C relate jose spouse ana >/dev/null
$C relate bo referred-by jose >/dev/null
$C relate jose friend "Rui Lima" >/dev/null
$C note ana "anniversary dinner idea" >/dev/null
$C date add jose anniversary 2015-06-12 >/dev/null
$C date add ana "name day" --07-26 >/dev/null
$C follow-up --no-contact tomorrow "Renew the trade-fair booth" >/dev/null
$C follow-up jose "next monday" "Weekly check-in" --every 1w >/dev/null
$C segment save vips "tag:vip" >/dev/null
$C company edit "Iberia Logistics" --industry Logistics --size 200 --website https://iberialog.example --tag key-account --set sector=retail >/dev/null
$C company note "Iberia Logistics" "Framework agreement renews in March" >/dev/null
$C company add "Acme Widgets" --industry Manufacturing >/dev/null
$C edit bo --no-mail >/dev/null
$C edit jose --how-we-met "Lisbon trade fair, through Ana" --met-on 2019-05-14 --interest sailing --interest "Rioja wines" >/dev/null
$C gift ana "Rioja Reserva" --given 2025-12-20 >/dev/null
$C gift ana "Port wine" >/dev/null
printf 'Subject: Hello {{ first_name }}\n\nSpring prices are out.\n' > $W/spring.md
$C campaign new spring --to "tag:customer" --template $W/spring.md >/dev/null
$C campaign send spring >/dev/null 2>&1
cat > $W/cards.vcf <<VCF
BEGIN:VCARD
VERSION:3.0
FN:Lena Park
N:Park;Lena;;;
EMAIL;TYPE=WORK:lena@parkdesign.example
ORG:Park Design
X-ABRELATEDNAMES:Min Park
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Park Design
N:;;;;
ORG:Park Design
X-ABShowAs:COMPANY
TEL;TYPE=WORK:+82 2 1234 5678
END:VCARD
VCF
$C import $W/cards.vcf >/dev/null 2>&1
$C remind --sendmail >/dev/null 2>&1 || true
$C sync >/dev/null 2>&1
sed -i 's/^TITLE:.*/TITLE:Chief Procurement Officer/' $(grep -l "^FN:José Núñez" $W/vdir/contacts/*.vcf)
$C edit jose --title "Head of Procurement EMEA" >/dev/null
$C sync >/dev/null 2>&1 || true
$C journal | head -3
