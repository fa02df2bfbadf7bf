#!/usr/bin/env bash
# Make a local development CA and a server certificate for Ovoz's HTTPS/WSS.
# Output: certs/dev/{ca.pem,ca.key,server.pem,server.key}. Idempotent: an
# existing certificate valid for 30 more days is kept.
# SANs: localhost, 127.0.0.1, ::1, this host's name, plus any names given
# as arguments (e.g. ./make-dev-certs.sh pbx.office.lan 192.0.2.10).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/dev"
mkdir -p "$out"
chmod 700 "$out"

if [ -s "$out/server.pem" ] && [ -s "$out/server.key" ] &&
   openssl x509 -in "$out/server.pem" -noout -checkend $((30 * 86400)) >/dev/null 2>&1; then
	exit 0
fi

host=$(hostname 2>/dev/null || echo localhost)
san="DNS:localhost,IP:127.0.0.1,IP:::1,DNS:$host"
for extra in "$@"; do
	if [[ "$extra" =~ ^[0-9.]+$ || "$extra" == *:* ]]; then
		san="$san,IP:$extra"
	else
		san="$san,DNS:$extra"
	fi
done

if [ ! -s "$out/ca.pem" ] || ! openssl x509 -in "$out/ca.pem" -noout -checkend $((30 * 86400)) >/dev/null 2>&1; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$out/ca.key" -out "$out/ca.pem" -days 3650 \
		-subj "/CN=Ovoz development CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$out/server.key" -out "$out/server.csr" \
	-subj "/CN=$host" 2>/dev/null
cat > "$out/server.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san
EXT
openssl x509 -req -in "$out/server.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" \
	-CAcreateserial -out "$out/server.pem" -days 825 -extfile "$out/server.ext" 2>/dev/null
rm -f "$out/server.csr" "$out/server.ext"
chmod 600 "$out"/*.key
echo "certs: made $out/server.pem for $san (CA: $out/ca.pem)"
