#!/usr/bin/env bash
# Writes the seed corpus fuzz/corpus/<target>/seed-* : small, meaningful
# inputs for each target (see fuzz/README.md for the input formats).  The
# corpus is committed; rerun this after changing a format, then
# `git status fuzz/corpus` shows what changed.  Inputs found by fuzzing
# are kept next to the seeds under their libFuzzer names (hash) and are not
# touched here.  Needs only bash, printf and the openssl command.
set -euo pipefail
cd "$(dirname "$0")"

NOW=1700000000
SK=SK00000000000000000000000000000001
AC=AC00000000000000000000000000000001
SECRET=0123456789abcdef0123456789abcdef
LINK_KEY=0123456789abcdef0123456789abcdef
RE=RE00000000000000000000000000000001
PA=PA00000000000000000000000000000002

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
# sign ALG(256|384|512) TEXT: the base64url HMAC of TEXT under SECRET
sign() { printf '%s' "$2" | openssl dgst "-sha$1" -mac HMAC -macopt "key:$3" -binary | b64url; }
# jwt ALG HEADER PAYLOAD
jwt() {
    local t
    t="$(printf '%s' "$2" | b64url).$(printf '%s' "$3" | b64url)"
    printf '%s.%s' "$t" "$(sign "$1" "$t" "$SECRET")"
}
# seed TARGET NAME [printf FORMAT ARGS...]: writes one seed
seed() {
    local dir=corpus/$1 name=$2
    shift 2
    mkdir -p "$dir"
    # shellcheck disable=SC2059
    printf "$@" >"$dir/seed-$name"
}

HS256='{"alg":"HS256","typ":"JWT"}'
TW_HDR='{"alg":"HS256","typ":"JWT","cty":"twilio-fpa;v=1"}'
VS_HDR='{"alg":"HS256","typ":"JWT"}'
tw_payload() { # iat nbf exp grants
    printf '{"jti":"%s-%s","iss":"%s","sub":"%s","iat":%s,"nbf":%s,"exp":%s,"grants":%s}' \
        "$SK" "$NOW" "$SK" "$AC" "$1" "$2" "$3" "$4"
}
vs_payload() { # extra claims after apikey/permissions
    printf '{"apikey":"%s","permissions":%s,"version":2,"iat":%s,"exp":%s%s}' "$SK" "$1" "$NOW" $((NOW + 3600)) "$2"
}
GRANTS='{"identity":"alice","video":{"room":"r1"}}'
TW=$(jwt 256 "$TW_HDR" "$(tw_payload $NOW $NOW $((NOW + 3600)) "$GRANTS")")
TW_ANY=$(jwt 256 "$TW_HDR" "$(tw_payload $NOW $NOW $((NOW + 3600)) '{"identity":"bob","video":{}}')")
VS=$(jwt 256 "$VS_HDR" "$(vs_payload '["allow_join","allow_mod"]' ',"roles":["rtc"],"roomId":"r1","participantId":"carol","jti":"7c9e6679-7425-40de-944b-e07fc1f90ae7"')")
VS_ASK=$(jwt 256 "$VS_HDR" "$(vs_payload '["ask_join"]' ',"roles":["rtc"],"jti":"guest-1"')")

# ---- token: mode '0' raw token; '1'/'3'/'5' header\npayload signed HS256/384/512
seed token twilio '0%s' "$TW"
seed token twilio-any-room '0%s' "$TW_ANY"
seed token videosdk '0%s' "$VS"
seed token videosdk-ask '0%s' "$VS_ASK"
seed token hs384 '0%s' "$(jwt 384 '{"alg":"HS384","typ":"JWT"}' "$(tw_payload $NOW $NOW $((NOW + 60)) "$GRANTS")")"
seed token hs512 '0%s' "$(jwt 512 '{"alg":"HS512"}' "$(tw_payload $NOW $NOW $((NOW + 60)) "$GRANTS")")"
seed token padded '0%s' "$(echo "$TW" | sed 's/\./==./')"
seed token bad-sig '0%sA' "${TW%?}"
seed token none-alg '0%s.%s.' "$(printf '{"alg":"none"}' | b64url)" "$(tw_payload $NOW $NOW $((NOW + 60)) "$GRANTS" | b64url)"
seed token two-parts '0%s' "${TW%.*}"
seed token four-parts '0%s.x' "$TW"
seed token empty '0'
seed token forge-twilio '1%s\n%s' "$HS256" "$(tw_payload $NOW $NOW $((NOW + 3600)) "$GRANTS")"
seed token forge-hs384 '3%s\n%s' '{"alg":"HS384"}' "$(tw_payload $NOW $NOW $((NOW + 3600)) "$GRANTS")"
seed token forge-hs512 '5%s\n%s' '{"alg":"HS512","typ":"JWT"}' "$(tw_payload $NOW $NOW $((NOW + 3600)) "$GRANTS")"
seed token forge-videosdk '1%s\n%s' "$HS256" "$(vs_payload '["allow_join"]' ',"roles":["crawler","rtc"],"roomId":"r1"')"
seed token forge-expired '1%s\n%s' "$HS256" "$(tw_payload $((NOW - 7200)) $((NOW - 7200)) $((NOW - 3600)) "$GRANTS")"
seed token forge-future '1%s\n%s' "$HS256" "$(tw_payload $((NOW + 86000)) $NOW $((NOW + 86400)) "$GRANTS")"
seed token forge-long '1%s\n%s' "$HS256" "$(tw_payload $((NOW - 100)) $NOW $((NOW + 315360000)) "$GRANTS")"
seed token forge-real-times '1%s\n%s' "$HS256" "$(tw_payload "$NOW.0" "1.7e9" "1700003600.5" "$GRANTS")"
seed token forge-huge-exp '1%s\n%s' "$HS256" "$(tw_payload $NOW $NOW 4503599627370496 "$GRANTS")"
seed token forge-crit '1%s\n%s' '{"alg":"HS256","crit":["b64"]}' "$(tw_payload $NOW $NOW $((NOW + 60)) "$GRANTS")"
seed token forge-wrong-sub '1%s\n%s' "$HS256" '{"iss":"SK00000000000000000000000000000001","sub":"AC00000000000000000000000000000009","exp":1700000060,"grants":{"identity":"x"}}'
seed token forge-empty-room '1%s\n%s' "$HS256" "$(tw_payload $NOW $NOW $((NOW + 60)) '{"identity":"a","video":{"room":""}}')"
seed token forge-dup-key '1%s\n%s' "$HS256" '{"iss":"SK00000000000000000000000000000001","iss":"x","exp":1700000060}'
seed token forge-ask-mod '1%s\n%s' "$HS256" "$(vs_payload '["ask_join","allow_mod"]' '')"
seed token perms 'xallow_join, allow_mod'
seed token roles 'xcrawler,rtc'

# ---- jsonr: a JSON text, read by the claim reader and by jansson
seed jsonr twilio '%s' "$(tw_payload $NOW $NOW $((NOW + 60)) "$GRANTS")"
seed jsonr videosdk '%s' "$(vs_payload '["allow_join"]' ',"roles":["crawler","rtc"],"roomId":"r1"')"
seed jsonr header '{"alg":"HS256","typ":"JWT","kid":null}'
seed jsonr spaced '{ "grants" : { "identity" : "a b", "video" : { "room" : "r" } }, "exp" : 1e9 }'
seed jsonr escapes '{"a":"\\u00e9\\ud83d\\ude00\\n\\"","b":[true,false,null,-0,0.5,1E+2]}'
seed jsonr utf8 '{"a":{"a":"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80","b":{}}}'
seed jsonr dup '{"a":1,"\\u0061":2}'
seed jsonr nested '[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]'
seed jsonr numbers '[9223372036854775807,-9223372036854775808,9223372036854775808,1e400,1e-400,01]'

# ---- wsframe: flags (bit0 server side, bits1-2 size limit), 8 chunk sizes, stream
CHUNKS='\x00\x01\x02\x06\x0f\x3f\xff\x07'
masked() { # opcode-byte payload: one masked frame (payload < 126 bytes)
    local op=$1 p=$2 m=(0x37 0xfa 0x21 0x3d) out i
    out=$(printf '\\x%02x\\x%02x\\x%02x\\x%02x\\x%02x\\x%02x' "$op" $((0x80 | ${#p})) "${m[@]}")
    for ((i = 0; i < ${#p}; i++)); do
        out+=$(printf '\\x%02x' $(($(printf '%d' "'${p:i:1}") ^ ${m[i % 4]})))
    done
    printf '%s' "$out"
}
seed wsframe text "\x07$CHUNKS$(masked 0x81 '{"type":"join","token":"x"}')"
seed wsframe two-texts "\x07$CHUNKS$(masked 0x81 hello)$(masked 0x81 world)"
seed wsframe fragmented "\x07$CHUNKS$(masked 0x01 'Hel')$(masked 0x00 'lo, ')$(masked 0x80 'world')"
seed wsframe frag-ping "\x07$CHUNKS$(masked 0x01 'a')$(masked 0x89 'ping!')$(masked 0x80 'b')"
seed wsframe binary "\x05$CHUNKS$(masked 0x82 'binary')"
seed wsframe ping-pong "\x01$CHUNKS$(masked 0x89 'p')$(masked 0x8a 'q')"
seed wsframe close "\x01$CHUNKS$(masked 0x88 $'\x03\xe8bye')"
seed wsframe close-empty "\x01$CHUNKS$(masked 0x88 '')"
seed wsframe close-bad-code "\x01$CHUNKS$(masked 0x88 $'\x03\xed')"
seed wsframe unmasked-from-client "\x01$CHUNKS\x81\x05hello"
seed wsframe server-text "\x00$CHUNKS\x81\x05hello\x01\x02ab\x80\x01c"
seed wsframe len16 "\x06$CHUNKS\x82\xfe\x01\x00\x00\x00\x00\x00$(head -c 256 /dev/zero | tr '\0' 'x')"
seed wsframe len64 "\x07$CHUNKS\x82\xff\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
seed wsframe too-big "\x03$CHUNKS\x82\xfe\x04\x00\x00\x00\x00\x00"
seed wsframe rsv "\x01$CHUNKS\xc1\x81\x00\x00\x00\x00a"
seed wsframe bad-opcode "\x01$CHUNKS\x83\x80\x00\x00\x00\x00"
seed wsframe long-ping "\x01$CHUNKS\x89\xfe\x00\x7e\x00\x00\x00\x00"
seed wsframe cont-alone "\x01$CHUNKS$(masked 0x80 'x')"
seed wsframe bad-utf8 "\x01$CHUNKS$(masked 0x81 $'\xc3\x28')"
seed wsframe truncated "\x01$CHUNKS\x81\x85\x01\x02"

# ---- params: mode (bit0 JSON body, bit1 also a query first), payload
seed params form '\x00Identity=alice&Ttl=3600&Room=r1'
seed params form-escapes '\x00%s' 'FriendlyName=a+b%20c%2Fd&x=%E2%82%AC'
seed params form-bad-escape '\x00%s' 'a=%2&b=%zz'
seed params form-nul '\x00%s' 'a=%00'
seed params form-empty '\x00&&=&a&=b&'
seed params form-many '\x00%s' "$(for i in $(seq 1 70); do printf 'p%d=%d&' "$i" "$i"; done)"
seed params query-and-form '\x02Identity=a&Identity=b'
seed params json '\x01{"Identity":"alice","Ttl":3600,"Room":"r1"}'
seed params json-types '\x01{"a":true,"b":false,"c":null,"d":1.5e300,"e":-9223372036854775808,"f":[1],"g":{}}'
seed params json-nul '\x01{"Identity":"al\\u0000ice"}'
seed params json-dup '\x01{"a":1,"a":2}'
seed params json-not-object '\x01[1,2,3]'
seed params json-unicode '\x01{"n":"\\ud83d\\ude00 \\u00e9"}'
seed params json-and-query '\x03{"Identity":"x"}'
seed params json-bad '\x01{"a":'

# ---- basic: the Authorization value
basic() { printf 'Basic %s' "$(printf '%s' "$1" | base64 -w0)"; }
seed basic key "$(basic "$SK:$SECRET")"
seed basic account "$(basic "$AC:authtoken")"
seed basic empty-pass "$(basic "$SK:")"
seed basic no-colon "$(basic "$SK")"
seed basic colon-in-pass "$(basic 'user:pa:ss')"
seed basic nul "Basic $(printf 'us\0er:x' | base64 -w0)"
seed basic lower 'basic   %s' "$(printf 'a:b' | base64 -w0)"
seed basic bad-b64 'Basic a=b='
seed basic no-pad 'Basic YTpi'
seed basic bearer 'Bearer abc'
seed basic url-alphabet 'Basic -_-_'

# ---- range: 8 bytes of size (big-endian), 1 shift byte, the header
SIZE1000='\x00\x00\x00\x00\x00\x00\x03\xe8\x00'
seed range first "${SIZE1000}bytes=0-99"
seed range open "${SIZE1000}bytes=500-"
seed range suffix "${SIZE1000}bytes=-100"
seed range suffix-big "${SIZE1000}bytes=-5000"
seed range past-end "${SIZE1000}bytes=1000-"
seed range inverted "${SIZE1000}bytes=9-3"
seed range multi "${SIZE1000}bytes=0-1,5-6"
seed range spaces "${SIZE1000}  bytes= 1-2  "
seed range overflow "${SIZE1000}bytes=0-99999999999999999999999"
seed range empty-size '\x00\x00\x00\x00\x00\x00\x00\x00\x00bytes=0-'
seed range max-size '\xff\xff\xff\xff\xff\xff\xff\xff\x00bytes=-1'
seed range units "${SIZE1000}items=0-1"

# ---- link: mode (bit0: append the right sig), the query string
NONCE=AAAAAAAAAAAAAAAAAAAAAA
link_sig() { printf '%s\n%s\n%s' "$RE" "$1" "$NONCE" | openssl dgst -sha256 -mac HMAC -macopt "key:$LINK_KEY" -binary | b64url; }
seed link valid '\x00exp=%s&nonce=%s&sig=%s' $((NOW + 300)) "$NONCE" "$(link_sig $((NOW + 300)))"
seed link expired '\x00exp=%s&nonce=%s&sig=%s' $((NOW - 1)) "$NONCE" "$(link_sig $((NOW - 1)))"
seed link forged '\x00exp=%s&nonce=%s&sig=%s' $((NOW + 300)) "$NONCE" "$(link_sig $((NOW + 301)))"
seed link signed '\x01exp=%s&nonce=%s' $((NOW + 300)) "$NONCE"
seed link signed-expired '\x01exp=%s&nonce=%s' $((NOW - 300)) "$NONCE"
seed link signed-short-nonce '\x01exp=%s&nonce=abc' $((NOW + 300))
seed link signed-neg '\x01exp=-5&nonce=%s' "$NONCE"
seed link signed-plus '\x01exp=+%s&nonce=%s' $((NOW + 300)) "$NONCE"
seed link signed-huge '\x01exp=99999999999999999999&nonce=%s' "$NONCE"
seed link missing-sig '\x00exp=1&nonce=%s' "$NONCE"
seed link dup '\x00exp=1&exp=2&nonce=%s&sig=x' "$NONCE"

# ---- signal: mode (bits0-1 state new/lobby/joined, bits2-4 permissions), the text
J='\x00' L='\x01' M='\x1e' # new; lobby; joined with allow_join|ask_join|allow_mod
seed signal join-twilio "$J"'{"type":"join","token":"%s"}' "$TW"
seed signal join-any-room "$J"'{"type":"join","token":"%s","room":"r2"}' "$TW_ANY"
seed signal join-any-no-room "$J"'{"type":"join","token":"%s"}' "$TW_ANY"
seed signal join-videosdk "$J"'{"type":"join","token":"%s","room":"RM00000000000000000000000000000001"}' "$VS"
seed signal join-lobby "$J"'{"type":"join","token":"%s","room":"r1"}' "$VS_ASK"
seed signal join-bad-token "$J"'{"type":"join","token":"a.b.c"}'
seed signal join-again "$M"'{"type":"join","token":"%s"}' "$TW"
seed signal signal "$M"'{"type":"signal","to":"%s","data":{"sdp":"v=0\\r\\n","type":"offer"}}' "$PA"
seed signal signal-nested "$M"'{"type":"signal","to":"%s","data":{"a":[1,{"b":[null,true,1.5]}],"c":"\\u00e9"}}' "$PA"
seed signal signal-in-lobby "$L"'{"type":"signal","to":"%s","data":{}}' "$PA"
seed signal signal-first "$J"'{"type":"signal","to":"%s","data":{}}' "$PA"
seed signal entry "$M"'{"type":"entry_response","participant":"%s","decision":"allowed"}' "$PA"
seed signal entry-denied '\x02{"type":"entry_response","participant":"%s","decision":"denied"}' "$PA"
seed signal mute "$M"'{"type":"mute","participant":"%s","kind":"audio"}' "$PA"
seed signal mute-no-mod '\x06{"type":"mute","participant":"%s","kind":"video"}' "$PA"
seed signal kick "$M"'{"type":"kick","participant":"%s"}' "$PA"
seed signal kick-bad-sid "$M"'{"type":"kick","participant":"PA1"}'
seed signal unknown "$M"'{"type":"dance"}'
seed signal not-object "$M"'["join"]'
seed signal dup-type "$M"'{"type":"kick","type":"join"}'
seed signal malformed "$M"'{"type":'
seed signal room-control "$J"'{"type":"join","token":"x","room":"a\\u0001b"}'

# ---- tus: pair limit byte, buffer byte (bit0: full size), one header value
T='\x20\x01'
seed tus metadata "$T"'filename %s,filetype %s,is_confidential' "$(printf 'rec.webm' | base64 -w0)" "$(printf 'video/webm' | base64 -w0)"
seed tus metadata-roles "$T"'ContentType %s,AllowedRoles %s,RoomSid %s' "$(printf 'audio/ogg' | base64 -w0)" "$(printf 'host,guest' | base64 -w0)" "$(printf 'RM00000000000000000000000000000001' | base64 -w0)"
seed tus metadata-spaces "$T"'  a YQ==\t,\tb  '
seed tus metadata-dup "$T"'a YQ==,a Yg=='
seed tus metadata-bad-b64 "$T"'a YQ,b Y===,c Y!=='
seed tus metadata-noncanon "$T"'a YR=='
seed tus metadata-nul "$T"'a AA==,b AGE='
seed tus metadata-limit '\x02\x01a,b,c'
seed tus metadata-small-buf '\x20\x00k %s' "$(head -c 90 /dev/zero | tr '\0' 'x' | base64 -w0)"
seed tus metadata-empty "$T"''
seed tus metadata-commas "$T"',,a,'
seed tus offset "$T"'0'
seed tus offset-max "$T"'9223372036854775807'
seed tus offset-over "$T"'9223372036854775808'
seed tus offset-zeros "$T"'007'
seed tus offset-sign "$T"'+5'
seed tus version "$T"'1.0.0'
seed tus version-other "$T"'1.0.1'
seed tus id "$T"'0123456789abcdef0123456789abcdef'
seed tus id-upper "$T"'0123456789ABCDEF0123456789abcdef'

# twmsg: Twilio's envelope and room messages (fuzz_twmsg.c)
TWTOK="$(jwt 256 "$TW_HDR" '{"jti":"x","iss":"'$SK'","sub":"'$AC'","iat":1700000000,"exp":1700003600,"grants":{"identity":"alice","video":{"room":"r1"}}}')"
seed twmsg hello-ice '{"type":"hello","id":"1","timeout":5000,"version":2,"body":{"type":"ice","version":1,"edge":"roaming","token":"%s"}}' "$TWTOK"
seed twmsg connect '{"type":"msg","body":{"type":"connect","version":2,"name":"r1","token":"%s","participant":{"revision":1,"tracks":[{"id":"a1","kind":"audio","name":"a1","enabled":true,"priority":"standard"},{"id":"v1","kind":"video","name":"cam","enabled":false,"priority":"high"},{"id":"d1","kind":"data","name":"d1","enabled":true}]},"peer_connections":[{"id":"pc1","description":{"type":"offer","revision":1,"sdp":"v=0\\r\\n"}}],"ice_servers":"acquire","format":"unified"}}' "$TWTOK"
seed twmsg update '{"type":"msg","body":{"type":"update","version":2,"session":"s","participant":{"revision":2,"tracks":[]},"peer_connections":[{"id":"pc1","ice":{"candidates":[{"candidate":"c"}],"ufrag":"u","revision":3,"complete":true}}]}}'
seed twmsg sync '{"type":"hello","version":2,"body":{"type":"sync","session":"s","token":"%s"}}' "$TWTOK"
seed twmsg heartbeat '{"type":"heartbeat"}'
seed twmsg bye '{"type":"bye"}'
seed twmsg bad-version '{"type":"hello","version":1}'
seed twmsg dup-track '{"type":"msg","body":{"type":"update","participant":{"revision":1,"tracks":[{"id":"a","kind":"audio","enabled":true},{"id":"a","kind":"video","enabled":true}]}}}'
