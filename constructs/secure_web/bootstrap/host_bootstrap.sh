#!/bin/bash
# secure_web MonitoredHost bootstrap (Debian 12), run once as EC2 user data.
#
# Leaves the host serving HTTPS (TLS 1.2/1.3 only) with nginx, nginx
# stub_status and the Prometheus nginx exporter on loopback only, an nftables
# default-drop firewall, and (on EC2) the CloudWatch and SSM agents.
# A web host proxies to the app tier over TLS with certificate and name
# verification; an app host runs the application on loopback behind nginx.
# Idempotent: a second run changes nothing. Any error stops nginx, so the load
# balancer takes the host out of service, and exits non-zero, so cloud-init
# reports the failure: never a half-configured host in service.
#
# secure_web.host_bootstrap.render_user_data() replaces the marker line below
# with the parameters; run unrendered, the script stops at the checks after it.
set -Eeuo pipefail

# @@SECURE_WEB_PARAMETERS@@

for parameter in ROLE HTTPS_PORT ALLOWED_HTTPS_CIDRS SSH_ALLOWED_CIDRS CLOUDWATCH_AGENT SERVER_NAMES \
    AGENT_CONFIG_PARAMETER AGENT_CONFIG_JSON PROMETHEUS_SCRAPE_CONFIG_PATH PROMETHEUS_SCRAPE_YAML \
    UPSTREAM_ADDRESS UPSTREAM_PORT UPSTREAM_SERVER_NAME UPSTREAM_CA_PEM PROXIED_PATHS DNS_RESOLVER \
    UPSTREAM_CONNECT_TIMEOUT UPSTREAM_READ_TIMEOUT UPSTREAM_TRIES \
    APP_COMMAND APP_PORT APP_ENVIRONMENT APP_PACKAGES APP_SOURCE DATABASE_CONFIG_PARAMETER DATABASE_CA_PEM; do
    [[ -v $parameter ]] || { echo "not rendered: $parameter is not set" >&2; exit 2; }
done

readonly STATE_DIR=/etc/secure-web
readonly TLS_DIR=$STATE_DIR/tls
readonly TLS_KEY=$TLS_DIR/server.key
readonly TLS_CERT=$TLS_DIR/server.crt
readonly AGENT_CONFIG_PATH=$STATE_DIR/amazon-cloudwatch-agent.json
readonly BOOTSTRAP_ENV=$STATE_DIR/bootstrap.env
readonly WEB_ROOT=/var/www/secure-web
readonly HSTS_HEADER="max-age=63072000; includeSubDomains"  # = secure_web.contract.HSTS_HEADER (a test keeps them equal)
# Sent when the response has no Content-Security-Policy of its own (= secure_web.contract.DEFAULT_CSP).
readonly DEFAULT_CSP="default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
readonly STUB_STATUS_LISTEN=127.0.0.1:8080
readonly EXPORTER_LISTEN=127.0.0.1:9113
readonly IMDS=http://169.254.169.254/latest
readonly SYSCTL_CONF=/etc/sysctl.d/60-secure-web.conf
readonly CLOUDWATCH_AGENT_CTL=/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl
readonly UPSTREAM_CA=$TLS_DIR/upstream-ca.pem
readonly DATABASE_CA=$TLS_DIR/database-ca.pem
readonly APP_DIR=$STATE_DIR/app
readonly APP_ENV=$APP_DIR/app.env
readonly DATABASE_CONFIG=$APP_DIR/database.json
readonly APP_LIB=/usr/local/lib/secure-web
readonly APP_USER=secure-web-app
# ACM issues the app tier's certificate under Amazon's roots: the web tier trusts only them by default.
readonly AMAZON_ROOTS=(/usr/share/ca-certificates/mozilla/Amazon_Root_CA_{1,2,3,4}.crt)
readonly RDS_TRUSTSTORE=https://truststore.pki.rds.amazonaws.com
# The CloudWatch agent: AWS's documented download bucket, and the fingerprint of the key AWS signs it with (published
# in the agent's installation guide; = secure_web.contract.CLOUDWATCH_AGENT_KEY_FINGERPRINT, a test keeps them equal).
readonly CLOUDWATCH_AGENT_BUCKET=https://amazoncloudwatch-agent.s3.amazonaws.com
readonly CLOUDWATCH_AGENT_KEY_FINGERPRINT=937616F3450B7D806CBD9725D58167303B789C72
PACKAGES=(nginx nftables openssl prometheus-nginx-exporter curl ca-certificates)
if [[ $ROLE == app ]]; then
    read -r -a extra_packages <<< "$APP_PACKAGES"
    PACKAGES+=(mariadb-client python3 python3-boto3 "${extra_packages[@]}")
fi
readonly PACKAGES
export DEBIAN_FRONTEND=noninteractive

log() { echo "secure-web-bootstrap: $*"; }

on_error() {
    local status=$? line=$1 command=$2
    log "FAILED with status $status at line $line: $command" >&2
    systemctl stop nginx.service 2>/dev/null || true
    exit "$status"
}
trap 'on_error "$LINENO" "$BASH_COMMAND"' ERR

# install_if_changed MODE PATH [GROUP]: write stdin to PATH (owner root, group
# GROUP or root) only when content, mode or group differ; returns 0 when it
# wrote, 1 when PATH was up to date.
install_if_changed() {
    local mode=$1 path=$2 group=${3:-root} staged
    staged=$(mktemp)
    cat > "$staged"
    if [[ -f $path ]] && cmp -s "$staged" "$path" \
        && [[ $(stat -c '%a %U %G' "$path") == "${mode#0} root $group" ]]; then
        rm -f "$staged"
        return 1
    fi
    install -D -m "$mode" -o root -g "$group" "$staged" "$path"
    rm -f "$staged"
    log "wrote $path"
}

is_installed() {
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

install_missing_packages() {
    local missing=() package
    for package in "${PACKAGES[@]}"; do
        is_installed "$package" || missing+=("$package")
    done
    ((${#missing[@]} == 0)) && return 0
    log "installing ${missing[*]}"
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

imds_token() {
    curl -fsS --connect-timeout 1 --max-time 2 -X PUT "$IMDS/api/token" \
        -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' 2>/dev/null
}

imds_get() {
    curl -fsS --connect-timeout 1 --max-time 5 --retry 3 \
        -H "X-aws-ec2-metadata-token: $1" "$IMDS/meta-data/$2"
}

# On EC2 (the agents on) the id comes from the metadata service or the bootstrap stops: a host must never publish
# its metrics under another name. Without the agents (a test VM, no metadata service) the host name stands in.
instance_id() {
    local token
    if ((CLOUDWATCH_AGENT)); then
        token=$(imds_token) || token=$(imds_token) || token=$(imds_token) \
            || { log "no metadata token: cannot name this host's metrics" >&2; return 1; }
        imds_get "$token" instance-id
    else
        uname -n
    fi
}

nft_set() { local IFS=,; echo "{ $* }"; }

# nft_source_rule PORT CIDR...: accept PORT from the IPv4 and IPv6 CIDRs given.
nft_source_rule() {
    local port=$1 cidr ipv4=() ipv6=()
    shift
    for cidr in "$@"; do
        if [[ $cidr == *:* ]]; then ipv6+=("$cidr"); else ipv4+=("$cidr"); fi
    done
    ((${#ipv4[@]})) && echo "        tcp dport $port ip saddr $(nft_set "${ipv4[@]}") accept"
    ((${#ipv6[@]})) && echo "        tcp dport $port ip6 saddr $(nft_set "${ipv6[@]}") accept"
    return 0
}

# The uids that may reach the metadata service: root, and the agent's and the app's users once they exist.
metadata_users() {
    local user uids=(0)
    for user in cwagent "$APP_USER"; do
        getent passwd "$user" > /dev/null && uids+=("$(id -u "$user")")
    done
    echo "${uids[@]}"
}

nftables_conf() {
    local https_cidrs ssh_cidrs imds_uids
    read -r -a https_cidrs <<< "$ALLOWED_HTTPS_CIDRS"
    read -r -a ssh_cidrs <<< "$SSH_ALLOWED_CIDRS"
    read -r -a imds_uids <<< "$(metadata_users)"
    cat <<EOF
#!/usr/sbin/nft -f
# Written by the secure_web bootstrap ($ROLE): inbound HTTPS from the allowed
# CIDRs only; on EC2 hosts are reached with SSM Session Manager, not SSH.
flush ruleset

table inet secure_web {
    chain input {
        type filter hook input priority filter; policy drop;
        iif "lo" accept
        ct state established,related accept
        ct state invalid drop
        ip protocol icmp icmp type { echo-request, destination-unreachable, time-exceeded, parameter-problem } limit rate 10/second accept
        ip6 nexthdr icmpv6 icmpv6 type { echo-request, destination-unreachable, packet-too-big, time-exceeded, parameter-problem, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept
$(nft_source_rule "$HTTPS_PORT" "${https_cidrs[@]}")
$( ((${#ssh_cidrs[@]})) && nft_source_rule 22 "${ssh_cidrs[@]}")
    }

    chain forward {
        type filter hook forward priority filter; policy drop;
    }

    chain output {
        type filter hook output priority filter; policy accept;
        # The instance metadata service hands out the role's credentials: only root, the
        # CloudWatch agent and the application may ask (not nginx's workers).
        ip daddr 169.254.169.254 meta skuid != $(nft_set "${imds_uids[@]}") drop
        ip6 daddr fd00:ec2::254 meta skuid != $(nft_set "${imds_uids[@]}") drop
    }
}
EOF
}

# Kernel settings of a host that routes nothing: no forwarding, no redirects or source
# routes, strict reverse-path filtering, martians logged, SYN cookies (CIS Debian 12 3.3).
sysctl_conf() {
    cat <<'EOF'
# Written by the secure_web bootstrap: a host that routes nothing.
net.ipv4.ip_forward = 0
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
net.ipv4.conf.all.secure_redirects = 0
net.ipv4.conf.default.secure_redirects = 0
net.ipv6.conf.all.accept_redirects = 0
net.ipv6.conf.default.accept_redirects = 0
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.default.accept_source_route = 0
net.ipv6.conf.all.accept_source_route = 0
net.ipv6.conf.default.accept_source_route = 0
net.ipv4.conf.all.rp_filter = 1
net.ipv4.conf.default.rp_filter = 1
net.ipv4.conf.all.log_martians = 1
net.ipv4.conf.default.log_martians = 1
net.ipv4.icmp_echo_ignore_broadcasts = 1
net.ipv4.icmp_ignore_bogus_error_responses = 1
net.ipv4.tcp_syncookies = 1
kernel.dmesg_restrict = 1
kernel.kptr_restrict = 2
kernel.randomize_va_space = 2
fs.suid_dumpable = 0
EOF
}

harden_kernel() {
    sysctl_conf | install_if_changed 0644 "$SYSCTL_CONF" || true
    sysctl -q -p "$SYSCTL_CONF"
}

configure_firewall() {
    local staged
    staged=$(mktemp)
    nftables_conf > "$staged"
    nft -c -f "$staged"
    if install_if_changed 0755 /etc/nftables.conf < "$staged" \
        || ! systemctl is-active --quiet nftables.service; then
        systemctl restart nftables.service
    fi
    rm -f "$staged"
    systemctl enable --quiet nftables.service
}

# A self-signed certificate: the load balancer does not validate backend certs.
ensure_certificate() {
    install -d -m 0755 -o root -g root "$TLS_DIR"
    if [[ ! -s $TLS_KEY || ! -s $TLS_CERT ]]; then
        log "generating the self-signed TLS certificate"
        (umask 077 && openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days 825 \
            -subj "/CN=$(uname -n)" -keyout "$TLS_KEY" -out "$TLS_CERT" 2>/dev/null)
    fi
    chown root:root "$TLS_KEY" "$TLS_CERT"
    chmod 0600 "$TLS_KEY"
    chmod 0644 "$TLS_CERT"
}

# The CAs the web host trusts for the app tier: the given bundle, else Amazon's roots.
write_upstream_ca() {
    if [[ -n $UPSTREAM_CA_PEM ]]; then
        printf '%s\n' "$UPSTREAM_CA_PEM"
    else
        cat "${AMAZON_ROOTS[@]}"
    fi | install_if_changed 0644 "$UPSTREAM_CA" || true
    openssl x509 -noout -in "$UPSTREAM_CA"
}

# The CAs the app host trusts for the database: the given bundle, else the RDS bundle of the region.
write_database_ca() {
    local region staged
    staged=$(mktemp)
    if [[ -n $DATABASE_CA_PEM ]]; then
        printf '%s\n' "$DATABASE_CA_PEM" > "$staged"
    elif ((CLOUDWATCH_AGENT)); then
        region=$(imds_get "$(imds_token)" placement/region)
        curl -fsS --proto =https --tlsv1.2 --retry 5 --max-time 60 -o "$staged" \
            "$RDS_TRUSTSTORE/$region/$region-bundle.pem"
    else
        log "no database CA: outside AWS the database_ca_pem prop is required" >&2
        return 1
    fi
    openssl x509 -noout -in "$staged"
    install_if_changed 0644 "$DATABASE_CA" < "$staged" || true
    rm -f "$staged"
}

# The upstream address sits in a variable so nginx re-resolves it (an internal
# load balancer's addresses change) with the VPC resolver; an IP needs none.
nginx_proxy_locations() {
    local path
    for path in $PROXIED_PATHS; do
        cat <<EOF
    location $path {
        set \$secure_web_upstream $UPSTREAM_ADDRESS;
        proxy_pass https://\$secure_web_upstream:$UPSTREAM_PORT;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host \$host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto https;
        proxy_ssl_server_name on;
        proxy_ssl_name $UPSTREAM_SERVER_NAME;
        proxy_ssl_verify on;
        proxy_ssl_verify_depth 4;
        proxy_ssl_trusted_certificate $UPSTREAM_CA;
        proxy_ssl_protocols TLSv1.2 TLSv1.3;
        proxy_ssl_session_reuse on;
        proxy_connect_timeout ${UPSTREAM_CONNECT_TIMEOUT}s;
        proxy_send_timeout ${UPSTREAM_READ_TIMEOUT}s;
        proxy_read_timeout ${UPSTREAM_READ_TIMEOUT}s;
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries $UPSTREAM_TRIES;
        proxy_next_upstream_timeout $((UPSTREAM_CONNECT_TIMEOUT * UPSTREAM_TRIES))s;
        # The app tier's copies of the headers this server adds itself: each is sent once.
        proxy_hide_header Strict-Transport-Security;
        proxy_hide_header Referrer-Policy;
        proxy_hide_header X-Content-Type-Options;
        proxy_hide_header X-Frame-Options;
    }

EOF
    done
}

nginx_app_location() {
    cat <<EOF
    location / {
        proxy_pass http://127.0.0.1:$APP_PORT;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host \$host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto https;
        proxy_connect_timeout 2s;
        proxy_read_timeout 30s;
    }
EOF
}

# What the site serves besides /healthz: the app tier (web), the application (app).
nginx_site_locations() {
    if [[ $ROLE == app ]]; then
        nginx_app_location
        return
    fi
    if [[ -n $PROXIED_PATHS ]]; then
        printf '    resolver %s valid=30s ipv6=off;\n    resolver_timeout 5s;\n\n' "$DNS_RESOLVER"
        nginx_proxy_locations
    fi
    [[ " $PROXIED_PATHS " == *" / "* ]] && return
    cat <<EOF
    location / {
        try_files \$uri \$uri/ =404;
    }
EOF
}

app_environment() {
    local region=""
    ((CLOUDWATCH_AGENT)) && region=$(imds_get "$(imds_token)" placement/region)
    printf 'SECURE_WEB_APP_LISTEN=127.0.0.1:%s\n' "$APP_PORT"
    printf 'SECURE_WEB_DATABASE_CA=%s\n' "$DATABASE_CA"
    printf 'SECURE_WEB_DATABASE_CONFIG=%s\n' "$DATABASE_CONFIG"
    if ((CLOUDWATCH_AGENT)); then
        printf 'SECURE_WEB_DATABASE_PARAMETER=%s\nAWS_REGION=%s\n' "$DATABASE_CONFIG_PARAMETER" "$region"
    fi
    [[ -z $APP_ENVIRONMENT ]] || printf '%s\n' "$APP_ENVIRONMENT"
}

app_unit() {
    local command=${APP_COMMAND:-/usr/bin/python3 $APP_LIB/secure_web_app.py}
    cat <<EOF
# Written by the secure_web bootstrap: the application, on loopback only, behind nginx.
[Unit]
Description=secure_web application
After=network-online.target
Wants=network-online.target

[Service]
User=$APP_USER
Group=$APP_USER
EnvironmentFile=$APP_ENV
ExecStart=$command
Restart=on-failure
RestartSec=2s
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX

[Install]
WantedBy=multi-user.target
EOF
}

configure_app() {
    local changed=0
    getent passwd "$APP_USER" > /dev/null \
        || useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin "$APP_USER"
    install -d -m 0750 -o root -g "$APP_USER" "$APP_DIR"
    write_database_ca
    if [[ -z $APP_COMMAND ]]; then
        printf '%s\n' "$APP_SOURCE" | install_if_changed 0644 "$APP_LIB/secure_web_app.py" && changed=1
    fi
    app_environment | install_if_changed 0640 "$APP_ENV" "$APP_USER" && changed=1
    app_unit | install_if_changed 0644 /etc/systemd/system/secure-web-app.service && changed=1
    if ((changed)); then
        systemctl daemon-reload
        systemctl enable --quiet secure-web-app.service
        systemctl restart secure-web-app.service
    fi
    systemctl is-active --quiet secure-web-app.service || systemctl start secure-web-app.service
}

nginx_conf() {
    cat <<'EOF'
# Written by the secure_web bootstrap.
user www-data;
worker_processes auto;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log warn;
include /etc/nginx/modules-enabled/*.conf;

events {
    worker_connections 1024;
}

http {
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    server_tokens off;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;

    log_format secure_web_json escape=json
        '{"time":"$time_iso8601","remote_addr":"$remote_addr",'
        '"x_forwarded_for":"$http_x_forwarded_for","request_method":"$request_method",'
        '"request_uri":"$request_uri","status":$status,"body_bytes_sent":$body_bytes_sent,'
        '"request_time":$request_time,"ssl_protocol":"$ssl_protocol",'
        '"user_agent":"$http_user_agent","host":"$host"}';
    access_log /var/log/nginx/access.log secure_web_json;

    include /etc/nginx/conf.d/*.conf;
}
EOF
}

# TLS, security headers and client limits: the same in every server block.
nginx_server_common() {
    cat <<EOF
    ssl_certificate $TLS_CERT;
    ssl_certificate_key $TLS_KEY;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:secure_web_tls:10m;
    ssl_session_tickets off;

    add_header Strict-Transport-Security "$HSTS_HEADER" always;
    add_header Referrer-Policy strict-origin-when-cross-origin always;
    add_header X-Content-Type-Options nosniff always;
    add_header X-Frame-Options DENY always;
    add_header Content-Security-Policy \$secure_web_csp always;

    # Slow or oversized requests are cut off early; the load balancer keeps its own connections alive.
    client_max_body_size 1m;
    client_header_timeout 10s;
    client_body_timeout 10s;
    send_timeout 10s;
    keepalive_timeout 75s;

    location = /healthz {
        access_log off;
        default_type text/plain;
        return 200 "ok\n";
    }
EOF
}

# With SERVER_NAMES, the site answers only those Host headers: any other name (the load balancer's own DNS name,
# a bare address) gets 421 Misdirected Request, except /healthz, which health checks ask for by address.
nginx_site_conf() {
    local site_listen="$HTTPS_PORT ssl default_server" site_names=_
    cat <<EOF
# Written by the secure_web bootstrap ($ROLE): HTTPS only, TLS 1.2 and 1.3.
# A response without a Content-Security-Policy of its own (from the app) gets the strict default.
map \$upstream_http_content_security_policy \$secure_web_csp {
    "" "$DEFAULT_CSP";
    default "";
}

EOF
    if [[ -n $SERVER_NAMES ]]; then
        site_listen="$HTTPS_PORT ssl" site_names=$SERVER_NAMES
        cat <<EOF
server {
    listen $HTTPS_PORT ssl default_server;
    server_name _;

$(nginx_server_common)

    location / {
        return 421;
    }
}

EOF
    fi
    cat <<EOF
server {
    listen $site_listen;
    server_name $site_names;

$(nginx_server_common)

    root $WEB_ROOT;
    index index.html;

    # Dotfiles (.git, .env, .htpasswd) are never served; /.well-known/ stays reachable.
    location ~ /\.(?!well-known/) {
        return 404;
    }

$(nginx_site_locations)
}
EOF
}

nginx_status_conf() {
    cat <<EOF
# Written by the secure_web bootstrap: scraped by prometheus-nginx-exporter.
server {
    listen $STUB_STATUS_LISTEN;
    server_name _;
    access_log off;

    location = /stub_status {
        stub_status;
        allow 127.0.0.1;
        deny all;
    }

    location / {
        return 404;
    }
}
EOF
}

configure_nginx() {
    local changed=0
    install -d -m 0755 -o root -g root "$WEB_ROOT"
    printf '<!doctype html>\n<title>secure_web %s</title>\n<p>secure_web %s host</p>\n' "$ROLE" "$ROLE" \
        | install_if_changed 0644 "$WEB_ROOT/index.html" || true
    if [[ -e /etc/nginx/sites-enabled/default ]]; then
        rm -f /etc/nginx/sites-enabled/default
        changed=1
    fi
    nginx_conf | install_if_changed 0644 /etc/nginx/nginx.conf && changed=1
    nginx_site_conf | install_if_changed 0644 /etc/nginx/conf.d/secure-web.conf && changed=1
    nginx_status_conf | install_if_changed 0644 /etc/nginx/conf.d/secure-web-status.conf && changed=1
    nginx -t -q
    systemctl enable --quiet nginx.service
    if ! systemctl is-active --quiet nginx.service; then
        systemctl start nginx.service
    elif ((changed)); then
        systemctl reload nginx.service
    fi
}

configure_exporter() {
    printf 'ARGS="-nginx.scrape-uri=http://%s/stub_status -web.listen-address=%s"\n' \
        "$STUB_STATUS_LISTEN" "$EXPORTER_LISTEN" \
        | install_if_changed 0644 /etc/default/prometheus-nginx-exporter \
        && systemctl restart prometheus-nginx-exporter.service
    systemctl enable --quiet prometheus-nginx-exporter.service
    systemctl is-active --quiet prometheus-nginx-exporter.service \
        || systemctl start prometheus-nginx-exporter.service
}

# The agent runs as cwagent (when installed): it reads these files as that group.
write_agent_files() {
    local id group=root
    id=$(instance_id)
    getent group cwagent > /dev/null && group=cwagent
    printf '%s\n' "${AGENT_CONFIG_JSON//@INSTANCE_ID@/$id}" \
        | install_if_changed 0640 "$AGENT_CONFIG_PATH" "$group" || true
    printf '%s\n' "${PROMETHEUS_SCRAPE_YAML//@INSTANCE_ID@/$id}" \
        | install_if_changed 0640 "$PROMETHEUS_SCRAPE_CONFIG_PATH" "$group" || true
}

# dearmor FILE: an OpenPGP key as gpgv reads it (binary); an ASCII-armored key is decoded, a binary one passed on.
dearmor() {
    if head -c 64 "$1" | grep -q -- '-----BEGIN PGP'; then
        sed -e '1,/^$/d' -e '/^=/,$d' "$1" | base64 -d
    else
        cat "$1"
    fi
}

# verify_signature FILE SIGNATURE KEY FINGERPRINT: succeeds only when SIGNATURE is a good signature over FILE made
# with the key in KEY whose primary key has FINGERPRINT (40 hex digits). gpgv (in every Debian: apt needs it) checks
# the signature; its status lines say by whose key.
verify_signature() {
    local file=$1 signature=$2 key=$3 fingerprint=$4 keyring status verified=0
    keyring=$(mktemp --suffix=.gpg)
    dearmor "$key" > "$keyring"
    status=$(gpgv --status-fd 1 --keyring "$keyring" "$signature" "$file" 2>/dev/null) || verified=$?
    rm -f "$keyring"
    ((verified == 0)) || { log "BAD signature on $file" >&2; return 1; }
    grep -q '^\[GNUPG:\] GOODSIG ' <<< "$status" \
        && grep -Eq "^\\[GNUPG:\\] VALIDSIG [0-9A-F]{40} .* ${fingerprint}\$" <<< "$status" && return 0
    log "signature on $file is not by key $fingerprint" >&2
    return 1
}

# install_deb PACKAGE URL [KEY_URL FINGERPRINT]: download and install an agent .deb unless installed; with a key,
# only after its signature (URL.sig) verifies against that key's pinned fingerprint.
install_deb() {
    local package=$1 url=$2 key_url=${3:-} fingerprint=${4:-} work
    is_installed "$package" && return 0
    work=$(mktemp -d)
    log "installing $package from $url"
    curl -fsSL --proto =https --retry 5 --max-time 300 -o "$work/package.deb" "$url"
    if [[ -n $key_url ]]; then
        curl -fsSL --proto =https --retry 5 --max-time 60 -o "$work/package.deb.sig" "$url.sig"
        curl -fsSL --proto =https --retry 5 --max-time 60 -o "$work/key" "$key_url"
        verify_signature "$work/package.deb" "$work/package.deb.sig" "$work/key" "$fingerprint" \
            || { rm -rf "$work"; return 1; }
        log "$package: signature verified, key $fingerprint"
    fi
    dpkg -i "$work/package.deb"
    rm -rf "$work"
}

install_aws_agents() {
    local token region arch
    token=$(imds_token)
    region=$(imds_get "$token" placement/region)
    arch=$(dpkg --print-architecture)
    install_deb amazon-cloudwatch-agent "$CLOUDWATCH_AGENT_BUCKET/debian/$arch/latest/amazon-cloudwatch-agent.deb" \
        "$CLOUDWATCH_AGENT_BUCKET/assets/amazon-cloudwatch-agent.gpg" "$CLOUDWATCH_AGENT_KEY_FINGERPRINT"
    # Unverified: the SSM Agent's current signing key could not be confirmed offline (README, "Agent packages").
    install_deb amazon-ssm-agent \
        "https://s3.$region.amazonaws.com/amazon-ssm-$region/latest/debian_$arch/amazon-ssm-agent.deb"
    # nginx logs are www-data:adm 0640; the agent ships them as cwagent.
    id -nG cwagent | grep -qw adm || usermod -a -G adm cwagent
}

start_aws_agents() {
    "$CLOUDWATCH_AGENT_CTL" -a fetch-config -m ec2 -s -c "ssm:$AGENT_CONFIG_PARAMETER"
    systemctl enable --quiet amazon-ssm-agent.service amazon-cloudwatch-agent.service
    systemctl is-active --quiet amazon-ssm-agent.service || systemctl start amazon-ssm-agent.service
}

restart_on_failure() {
    local unit changed=0
    for unit in "$@"; do
        printf '[Unit]\nStartLimitIntervalSec=300\nStartLimitBurst=10\n\n[Service]\nRestart=on-failure\nRestartSec=2s\n' \
            | install_if_changed 0644 "/etc/systemd/system/$unit.d/10-secure-web-restart.conf" && changed=1
    done
    ((changed)) && systemctl daemon-reload
    return 0
}

# What this host was configured with, for audits and the host test suite.
write_bootstrap_env() {
    local name
    for name in ROLE HTTPS_PORT ALLOWED_HTTPS_CIDRS SSH_ALLOWED_CIDRS SERVER_NAMES CLOUDWATCH_AGENT AGENT_CONFIG_PARAMETER \
        AGENT_CONFIG_PATH \
        PROMETHEUS_SCRAPE_CONFIG_PATH TLS_KEY TLS_CERT STUB_STATUS_LISTEN EXPORTER_LISTEN UPSTREAM_ADDRESS UPSTREAM_PORT \
        UPSTREAM_SERVER_NAME UPSTREAM_CA PROXIED_PATHS APP_PORT DATABASE_CONFIG_PARAMETER DATABASE_CONFIG DATABASE_CA; do
        printf "%s='%s'\n" "$name" "${!name}"
    done | install_if_changed 0644 "$BOOTSTRAP_ENV" || true
}

main() {
    local services=(nftables.service nginx.service prometheus-nginx-exporter.service)
    log "configuring role $ROLE, https port $HTTPS_PORT"
    install -d -m 0755 -o root -g root "$STATE_DIR"
    install_missing_packages
    harden_kernel
    configure_firewall
    ensure_certificate
    if [[ $ROLE == app ]]; then
        services+=(secure-web-app.service)
        configure_app
    elif [[ -n $PROXIED_PATHS ]]; then
        write_upstream_ca
    fi
    if ((CLOUDWATCH_AGENT)); then
        services+=(amazon-cloudwatch-agent.service amazon-ssm-agent.service)
        install_aws_agents
    fi
    write_agent_files
    restart_on_failure "${services[@]}"
    configure_nginx
    configure_exporter
    if ((CLOUDWATCH_AGENT)); then
        start_aws_agents
    fi
    configure_firewall  # again, now that the agent's and the app's users exist: the metadata rule names them
    write_bootstrap_env
    log "done"
}

main "$@"
