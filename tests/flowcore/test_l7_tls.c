/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the TLS session parser (flowcore/l7/tls.c), driven
 * through its descriptor's callbacks with a small engine stand-in: each
 * side keeps the unconsumed tail (at most max_tail bytes) and calls
 * parse() again with the tail plus the next piece, as fc_l7.h describes.
 *
 * Real traffic: ClientHello/ServerHello bytes of the shared pcaps are
 * embedded below as hex, extracted with tshark
 *     tshark -r PCAP -q -z follow,tcp,raw,STREAM
 * and cut after the first hello message of each direction (the server
 * side of ndpi-http_ipv6 keeps its leading alert). The expected values
 * come from the shared ground truth: nDPI's .ndpi.out (JA3C, JA3S, JA4,
 * SNI, ALPN, cipher), Zeek's ssl.log (version, cipher, curve,
 * server_name), suricata-verify's test.yaml (SNI) and, where neither has
 * a value, tshark 4.0's tls.handshake.ja3/ja3s fields. Two JA4 details of
 * nDPI differ from the FoxIO specification and the expected values here
 * follow the specification: nDPI prints "i" when the SNI is an IP
 * literal (ndpi-1kxun) and the first two ALPN characters instead of the
 * first and last ("ht" for http/1.1, "sp" for spdy/3.1).
 *
 * Adversarial cases: truncation at every byte on a guard page, every
 * split point of a hello, byte-at-a-time delivery, hellos fragmented
 * over records, length fields at 0, at the maximum and overrunning,
 * GREASE everywhere, the JA4 specification's own example, and seeded
 * random mutations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "fc_l7.h"

extern const struct fc_l7_parser fc_l7_tls;

/* ------------------------------------------------------------------ */
/* Vectors from the shared pcaps (see the file comment).               */

/* 517 bytes */
static const char curl_ch[] =
	"1603010200010001fc03033e3841edcc20f6d0e5f7167ab7ee91a800c8ef70c2d624c7c7943a24026d9fbc000086cc14"
	"cc13cc15c030c02cc028c024c014c00a00a3009f006b006a00390038ff8500c400c3008800870081c032c02ec02ac026"
	"c00fc005009d003d003500c00084c02fc02bc027c023c013c00900a2009e006700400033003200be00bd00450044c031"
	"c02dc029c025c00ec004009c003c002f00ba0041c012c00800160013c00dc003000a00ff0100014d00000011000f0000"
	"0c7777772e6e746f702e6f7267000b000403000102000a003a0038000e000d0019001c000b000c001b00180009000a00"
	"1a00160017000800060007001400150004000500120013000100020003000f00100011000d00260024060106020603ef"
	"ef050105020503040104020403eeeeeded030103020303020102020203337400000010000e000c02683208687474702f"
	"312e31001500ae0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000";
/* 107 bytes */
static const char curl_sh[] =
	"16030300660200006203038f72dd2e35dcf5ddf38ae75db855d1610b4db32937cb20cd3187eec12057fb2520ea8fcd1d"
	"a8f8635bd5df2a45b603764dd7cfb5f82666ff77fd47635bf9a8f0cbc02f00001aff0100010000000000000b00040300"
	"0102001000050003026832";
/* 404 bytes */
static const char reasms_ch[] =
	"160301018f0100018b030300957252c8b6d358dac5d363528f6f211da9a4cb42f9c026109c75022ffeb3de20f92e17c1"
	"cd53451b0082ab31e034a3b29817d9ecad2f210125a4f4523d8f39d900061301130213030100013c002b0005040304fb"
	"1a000a00060004001d0017003300260024001d0020102c6912c7176b4a73a74770723d8db11483cf4c2df00e5b362cb4"
	"b287bed916000d000a0008040305030603080400000014001200000f692e696e7374616772616d2e636f6d0010001400"
	"120268320568322d666208687474702f312e31002d0003020100002a0000002900b2008d0087840e8e12ab9698128595"
	"23d81be57ee5b1bc682d041ba879c5a6717c688d562f00000000ee7f0b937201dcee5619f1256585ad54dd992bd1577d"
	"c66bdb829a21a6415234c2c3219f05991da94cc0786f60b12c9185129b299a88a3042bca4127e914e40e04b84e6d6d60"
	"2ab97a015f18eeb11c620031739efb019ad7c6df4b75335731189c8d6e5c4b3d4900212095eefcbd3ec1f911bf703dcc"
	"8c0715f295f1eeb460f15ae27a176bd44a43771b";
/* 133 bytes */
static const char reasms_sh[] =
	"16030300800200007c0303a1d1187076d67341126a680ac3be1fa2dbb6d538d26ccf688884f365cb59b91820f92e17c1"
	"cd53451b0082ab31e034a3b29817d9ecad2f210125a4f4523d8f39d91301000034002b0002fb1a00330024001d00207c"
	"833d1c5e42cf905a0b3838f0d39afa853a764a3b7bba29e1b3117c710d3d70002900020000";
/* 1756 bytes */
static const char kyber_ch[] =
	"16030106d7010006d3030356767d9ae8a843809398310469168e09e8543de551ed52fbd4403dea567ea1c120c72b78a5"
	"6497f6e8e86debee9ec616ade6851b0ce90cda4658d36cbed28cafed0020eaea130113021303c02bc02fc02cc030cca9"
	"cca8c013c014009c009d002f00350100066a6a6a000000230000000d0012001004030804040105030805050108060601"
	"000b00020100000a000c000acaca6399001d00170018001b0003020002446900050003026832003304ef04edcaca0001"
	"00639904c0a2778cd4d2ca31c7120c5b67691a33d480dabe6d387f14cfd82e1aa68547c4180b291697a6c2b16b2b230c"
	"64cd97266592673d8443ccc50f4ae894d5aa9e1ad1c0b01a44ae605f27d47311f117b5bc9dfcc762e612771d5668a734"
	"62162b9c580770ad417e7b2b8953f50912b67b8b171d6f81615dd94f787a00a8d75a14550c66385437e16a2d43519b99"
	"80647520fde07c40388a17d4ae8514bf962313b1da12445a911f5a372e49792bcc62d4ac5f41900aafe02ed634245b49"
	"2e8d8a06e245a6487678f28c0e0d8c88ad705dee88138e7a31445c9499035b53022abe94802148c8341c3412ea3ed281"
	"2c1a841748ca6e2022bd3e8c740c963fb15467360bc90d05c8e99c76b85b3009a8b864714981533bb7ab6c70e3895e20"
	"b6dba6ccb7530a091a4998dbbff58902b2b66b9690c98f72c4d01526bce1076762a895045e33881d2b85a7ceb95d3860"
	"2ec099ad0da92339ab0b4fea051fb8ccf0216b67a02acac71641dc2505e9998f6939dbc63c722539f0226a79e0bc2546"
	"9b069a8df37340205241fe5676e6e688f04a3fcdd309f4e65f59a31e3183c0c15b7844b2337827a7d7790ff7ecbfdaea"
	"624b4402962794f685ccb81534ce7a4f54f28b52261ea40769e1bb668c403fe031b5bfe30c74a56d2b013241130e203b"
	"8c805c7106767a1bd1b532d1b22172835adb26caaa95b3ec9b98274a7d434fb3629baefb3aa00184d7bb826ad5975e2b"
	"811c81ace1b3050e9a7e5617a25528274fe963dac029c335066d56cd107bc9ace2815235a20d975271762a34d8c6a46b"
	"567fb4538b5515b459465021ae269770cc9909434082d73400c180961c0a509536b64e3a6a9df31b66a51d5c1cbf7888"
	"27cb25bbd8f6159392c5e1ac7607a41199a732e8ebb729f44dcd270f134a578d052537b03547e4787a2680094bb8b6dc"
	"16706500d0e455b77b0d61986ecf4b1fd2e1ad46369b5a67375ff762d2f69fb93330a39323a6b713a19620a9b139c1f2"
	"7254e408749ca078bc44598663a87b4b53d20c9c909564b3131be1cd4167b1fe7b3356b629005a1467c9c5701022c2bc"
	"a78bc81cc1a15f429329aea223edea8844e200b781990bc026e059377a840264d9570592a07fc7688916c5eb99ba169b"
	"8bbe394844f620ebab8c70212108b24ca0121c0a7a7dd6877f90e94b3605699a9c1b4607140901955271172f9cab61ea"
	"096790016a92905268799834148d64202ee01beb2886655ab496e4009f263eda3b3bae1086fae7c34a2719a116abb18a"
	"9486859b5d93c5d5bb759805ac924c2a5b846c69860789e18b4e800e2de6b4a4a23a2eca54f2f108d8b4584bd0406777"
	"4e016923c74249b8028767d3a0cc891ecd7130cf185b7d68a2bd0b31d7899a0a215542d474ede686e0c8bc1972be2a97"
	"cefa49af93265aa6a3579d527c8ae2a0e2b51ff3971a84dcbaeb4134b4742f3d144c04229dc7e9265ec5cfdde00b513c"
	"6b1c81316c71a86385694a250a1e99c2b5954d309a8e2f77300274a7f875bba2f5734ec05f89e83e4093331cb2163007"
	"48f33c475ac83f35e2c077724fdc77a74e292b409897b0f463a490c37b982d0605afb3c113659181150520f0103ba1ca"
	"95fca6adc1581dfe467f0ce70e6ff7246ac6400723080f161c284128e933924a33c10a89bf874c5f11905084253340c1"
	"f20fd87d551cf88bf2173add13f3b6a3755dd270f1001d00204518f31c6d02159e6f8ea20bd2e325c9d7ad26f38daade"
	"6bf959afa516a26e760010000e000c02683208687474702f312e31002b0007068a8a0304030300170000ff0100010000"
	"0500050100000000002d00020101fe0d00da000001000102002089384cd8b5a698ff8240d9b5ea186bb1d0e487de252a"
	"ed9d9a28ea0f0cc2b65800b01a472e144587036684e269b294f7c441d993d311dc5f3d15fa9f4850e07ccaf054be940e"
	"418a7e0eced08073992ca532efdef028349c1507e7bfa77813a8ddaf9bca4acd7093216808e24a39541efc9b73ca3356"
	"1db210809e582aeafe7c3ec256ab6b5f3edfcae2365311105389da11ad6099e8adea371d8f9c0b6107bca00c5bc0ca11"
	"369dc4957b80d0f222162e199abdb886d8050c07de1de124d84987eeedca8470250578734ea0526a396dc81600120000"
	"00000013001100000e6c68332e676f6f676c652e636f6d4a4a000100";
/* 1215 bytes */
static const char kyber_sh[] =
	"16030304ba020004b603039b737b84a215142d46181d2f70736cbae61f2cae5691c9118c3a9c6b33c51a3a20c72b78a5"
	"6497f6e8e86debee9ec616ade6851b0ce90cda4658d36cbed28cafed130100046e00330464639904602bca9ddcfb6896"
	"5070938f7db0fe7c6856624696b82fff67b438689b5a27df4b0983fe3014b2dec516304a05a9086b7d7728bf9ad92a1e"
	"5b35aeae304874f05e465bbcb6b12a6181f9afa9f7e5e01289e75de385ada1a33d6d92083ccc5b0ab81b3f32c09856bb"
	"c793e6ba3d10fa7b37bd34b63ef4af6256bb5dd0ed3b3bce3c90fb551f1170dc67d79401b69aafa27260bcce04441c7c"
	"151ee42300d50a4688d6bfaab7170a1cde6112109ceca6a47961537ffc8374a6fd9e019c0099d02b75eb216edab7ecda"
	"76bb4cef962d3590cc65f2a0f4f7e421ba91381685735181e832d1d64ae2e3132ce1154e7e2b7bce7aa6fb5e86d38805"
	"e63e751a3ae7bf2392807bdbeede6c4682d99de4bb128ad9b7cd7d861caac238598bce720f2993009b7cb19d0a4d2f00"
	"c8f39319a0dc44d69aae1db1e3d6faa18cc511ec40dbcb5b15ace75637d1107898af95666775ff5987ff2c534d172501"
	"1da154332a34fc311c6d138f5f780fa8d674ac7174e4388a61541f4f71c0a21e35c79303b267e726868adb8e3eddb5ef"
	"99781678e45732553f69dbce02c73392acc54a3a889600eba0124ff46a562722541bc065d5e3efe7e81a64957b219cd9"
	"074465c99df42d33d6b36c84367dd73afcbe2747dba96dea08f22fa0ced99ca0ed1ef5d61c5833365b28a56a9036ffcf"
	"dc6cd7cd789270385e9170176dd5cba53226693b0ed0fb8d5130def97d67d5596d479d699525db0070bc00bf7c9ce5b3"
	"4b2f9067b6e0a38ce24e027446c6ee53d18a88f762f0003bdc184294294bfc3f3b5f8c392a122289e04933730e6bf3d5"
	"e46fc79539020c2371162735634b00fde8e4c2b207a15f7b6c938200c5101affc5fefebf255d90eac5ffdf4918545aec"
	"d346640959f33a1beb59ed7cb6306e545a2a2a9035badf63605a5cdf4bc16a06c243571c1c13648b12f7a9d003ca1c71"
	"4d3504f925bf89fa657f5fc617e84a595f574dd6b170a08ddc3a9466305aec9d47439b4d3e9dbc16890dc8d8c1580e0b"
	"23edbdfe35cde0ec237204f1cd2cefb8341b27797a4a1d4e804164fd5749cc980e3213b34540e82d765dfc6f74702b94"
	"bad32f20b91aa3ed19c6a8b5de6258daca5b9817dbaa4f25803db3b04dd36e9fe148513674064d710dfa13323dd36ed9"
	"336e43aeb1364c6915cc25ea310ced8f40c5d1ae564a2734ffd37d3279e44fdb1278d1f7dcbddd81a395422aa47c12a9"
	"8cc42cfa1b69a9d5b06b5e9342c7e6b4400792c97093088285f668b0c728f270f76669328e3a7e64bfa8d69afcf9ba97"
	"ff83e2d39fb5f78b7b8c0aacf2f790697f8065b4d515f60b35ef2b72ca339a5629a727cd63e831027abfccff0416ff23"
	"a8338e644127d4de18e7b3a182e67903ffec74618a1368d39e6d8cbb397be2158dc3ad7f6de77b22c3a65d4eb433ff7e"
	"e0375db0a044d1cb96c996e1c675b38f32669d6b795058129856b9a7e8a13a2e2b2fd69519818b20922c735681243a00"
	"50cac35283ddc6c4e2bad53093ec10b4a0e2f320d517aed4d9cf8de96e2771b1501b0fa02adeed5d8e5a0fcf6b4dc504"
	"8b713303db897f0a5d002b00020304";
/* 178 bytes */
static const char ext_ch[] =
	"16030100ad010000a903014f9ab2d8c93710cf789ef7aa0ed1dd9b8cd5cbc554a9dafec9933199d5424fd7000048c00a"
	"c0140088008700390038c00fc00500840035c007c009c011c01300450044006600330032c00cc00ec002c00400960041"
	"00040005002fc008c01200160013c00dc003feff000a020100003700000014001200000f73736c2e677374617469632e"
	"636f6dff01000100000a00080006001700180019000b000201000023000033740000";
/* 90 bytes */
static const char ext_sh[] =
	"16030100550200005103014f9ab2d8491b78ca6504b9242bbcc2b7c9825fc0a08c453dcba9f0b3b0cb48df00c0110000"
	"2900000000ff01000100000b000403000102002300003374001006737064792f3208687474702f312e31";
/* 217 bytes */
static const char kxun_ch[] =
	"16030100d4010000d0030357a0033e0c0a4521506da15926d580f8c47b2f4a5a5a575b0a30f6aa9a9fc4622063f90d13"
	"49ce5584b9a688002a3ceb6e7d004cf10ce2cf441999934579593c78004a00ffc024c023c00ac009c008c028c027c014"
	"c013c012c026c025c005c004c003c02ac029c00fc00ec00d006b0067003900330016003d003c0035002f000ac007c011"
	"c002c00c000500040100003d00000013001100000e3139322e3136382e3131352e3735000a0008000600170018001900"
	"0b00020100000d000c000a0501040102010403020333740000";
/* 86 bytes */
static const char kxun_sh[] =
	"16030300510200004d0303c7267876a97de77c30694aeec37f97d3d17fd0dff77cc82806c25a90c4e4b1f82063f90d13"
	"49ce5584b9a688002a3ceb6e7d004cf10ce2cf441999934579593c78002f000005ff01000100";
/* 212 bytes */
static const char ipv6_ch[] =
	"16030100cf010000cb030372a7b8955891f5317d8662bdfa03c6c4a53174f4afb27ff0211f329e7b23161d000020cc14"
	"cc13cc15c02bc02f009ec00ac0140039c009c0130033009c0035002f000a01000082ff0100010000000011000f00000c"
	"7777772e6e746f702e6f72670017000000230000000d0016001406010603050105030401040303010303020102030005"
	"0005010000000033740000001200000010001d001b08687474702f312e3108737064792f332e310568322d3134026832"
	"75500000000b00020100000a0006000400170018";
/* 77 bytes */
static const char ipv6_sh[] =
	"1503030002017016030300410200003d0303ff82bfb5d3e3e8d54db06d694a3e8dd658aae9fb5914f06e8acfa96a2132"
	"101e00c02f00001500000000ff01000100000b00040300010200230000";
/* 804 bytes */
static const char lots_ch[] =
	"160303031f0100031b0303b301c117209436612fa34ff8e7e9af0b51d9adbe10dd9b00b5b13ad34e98e3910002bc000f"
	"00c50095c091c00dc0abc07f001100c30025c087008f00abc004c099c04a003bcc14e41400c1c09b0026c06900b300b1"
	"c024009400430045c065003dc0a2c057008dc013001900170069e41b0064c00acc15e41900a50029c03ec05bc074cc13"
	"c05c0012c017c08500270013009d0099000b008900010022c095c081c00bc039c066c023e4130087006dc018c063001a"
	"e4100035c0300028c07ec0200038c09f002c0031c02f00b5002ec05fc06fc02ec0980003009b0002002fc03fc01c0097"
	"c02a00b7003ec08300a0c0070086c02dc05200920006c0210034006a0039c064000c00600080c01dc08ac076c011c0a5"
	"00840041000800aec032c07cc045c09c00bbc04e003600bc006200b800a8c07d001400960091c060c0a7c055c070e416"
	"00420061c005c03dc059c009006800b9c01f0067c09e0066c072c03600a6008500b0c0510082c090c03ce41ec0a0c014"
	"008e0093e41fc0aa00a90081c0a8c04700040010c003c058c0a4c031004bc015e415008800be009ac00200acc035c067"
	"0049c0380009002d00bdc061e41dc04f006bc03b0047001b00a7c050c092c01bc05a0040c07a0020008300a3c05ec046"
	"c016c0120090c010009f00adc062c06dc080c07bc088002b009c000dc0250030c096c02cc084c06c0005c04dc06ac0a1"
	"c0190098e417c0540016001ec028c079c086c09a0063c056c08f004cc04cc09dc0330023c06bc00100aac07700a400a1"
	"c07800c4c022c08ec03a003f006c004ac0080032c0a9003ac040000700c2c034c0a6c071c01ac08b0046003c003300bf"
	"c02bc02700a2c04bc0530024c00ec0480044c01ec044001fe418c08d00ba00b600b4e41ac006c042c049c043008ae412"
	"0048000a008b0037001500c0009ec082c08cc026c00f0065008cc089c0a3c073002ac06ec05dc0680021c09700b2c037"
	"e41cc029c09300afc075c0410000000ec00cc094e411001800ff01000036000a0006000400170018000d0020001e0201"
	"03010401050106010202030204020502060202030303040305030603000b000403000102";
/* 54 bytes */
static const char lots_sh[] =
	"16030300310200002d0303a798f0ed57dd7de6431a4ae6306d84a5db8205d374c13049e6d4fc2dde1b268c0000450000"
	"05ff01000100";
/* 318 bytes */
static const char vxlan_ch[] =
	"16030101390100013503033e9229028d92982c9d3232c0b64a43ce1a0c13c209174384a024772604cb9a7220f3732d9b"
	"6d9b5136298a59fbe329161f8c6f33d3afc9cae8a632b2af28e424d8003e130213031301c02cc030009fcca9cca8ccaa"
	"c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff010000ae"
	"0000001500130000107777772e66616365626f6f6b2e636f6d000b000403000102000a000c000a001d0017001e001900"
	"18002300000016000000170000000d0030002e040305030603080708080809080a080b08040805080604010501060103"
	"0302030301020103020202040205020602002b0009080304030303020301002d00020101003300260024001d002058d1"
	"cefb17b90d00e40d7bf46c8b417cd8b1f8a11cea4d86cde63db5eaca9f63";
/* 127 bytes */
static const char vxlan_sh[] =
	"160303007a02000076030382c6f2391171cf2b8ee11e306f330fc1234e8b928a7d435516a899f01c710ddc20f3732d9b"
	"6d9b5136298a59fbe329161f8c6f33d3afc9cae8a632b2af28e424d8130300002e002b0002030400330024001d0020c0"
	"983823b306401c93bde85c68e5317fc87c9c3da0ec680b2c13ef5846dc6e10";
/* 204 bytes */
static const char sixin4_ch[] =
	"16030100c7010000c3030369d7c9406c3f7cd32c578cd2b8efd99563aaa74e458735668ad589705d227bc700001ac02b"
	"c02f009ec00ac009c013c01400330039009c002f0035000a010000800000001500130000107777772e66616365626f6f"
	"6b2e636f6dff01000100000a00080006001700180019000b0002010000230000337400000010001d001b08737064792f"
	"332e310568322d313402683208687474702f312e317550000000050005010000000000120000000d0012001004010501"
	"020104030503020304020202";
/* 121 bytes */
static const char sixin4_sh[] =
	"16030300740200007003038bc0b1a6eebd88995409a48c64c1e03a748b58820b71434afd04774cdea034c800c02b0000"
	"4800000000ff01000100000b000403000102002300003374002f0568322d31340f737064792f332e312d66622d302e35"
	"08737064792f332e3106737064792f3308687474702f312e31";
/* 517 bytes */
static const char ech_ch[] =
	"1603010200010001fc0303d820986a1fb4dc3a70fac91f1359ff5e320c6a5e07397ab36f8c513be4585f5d207c77f968"
	"ecbeda040598f47af5265fb5f0f5ef3279f08b43d03c31a57ce0c63000202a2a130113021303c02bc02fc02cc030cca9"
	"cca8c013c014009c009d002f003501000193dada0000ff010001000010000e000c02683208687474702f312e31000d00"
	"120010040308040401050308050501080606010033002b00291a1a000100001d0020231cb3a7bde0d15d97dfdfc4d315"
	"b112899e9480d1dc7a0e739c4058bbe7276d002d0002010144690005000302683200230000002b0007068a8a03040303"
	"000a000a00081a1a001d00170018fe0d00ba0000010001d10020cce5c83299bb8dffdb74bafd0a1d524b82973e224c12"
	"999beed169ee7a9ad67d00900b7b2dc3b17adb2eabc1f7fabb61bdd5db777336a9da3679c5373ff69f0087b9453bd3ec"
	"42b6d17b1b7d024cd7c4b627d1b0cd3ae9fbe5422f132187789d6c7f89f29201ff0e64853d3988adb723fff552447ebd"
	"087a55422abe568a8dfe4596a5820f134ec9f192620e4b36776431e14e35a6c9ddbe912359b1bde0d74a062e634eb5ce"
	"d3063bed83f0b562f26278030017000000050005010000000000120000000b00020100000000170015000012636c6f75"
	"64666c6172652d6563682e636f6d001b00030200029a9a0001000015000700000000000000";
/* 127 bytes */
static const char ech_sh[] =
	"160303007a020000760303cd86afb4bb270220f3b7c330c6fc84b3ada6a00d98b285a5022de6f5ced70efc207c77f968"
	"ecbeda040598f47af5265fb5f0f5ef3279f08b43d03c31a57ce0c630130100002e002b0002030400330024001d00200f"
	"f6e1452d32666a0036d0071dbfceaddc648e2d5aa6fd1c530c3f15f823271f";
/* 517 bytes */
static const char mtu300_ch[] =
	"1603010200010001fc0303dbd972da371bd60ec742cc3b216c62bf9c83df9eecf4e1136b46f6e7f5beb3d10000a0c030"
	"c02cc028c024c014c00a00a500a300a1009f006b006a0069006800390038003700360088008700860085c032c02ec02a"
	"c026c00fc005009d003d00350084c02fc02bc027c023c013c00900a400a200a0009e00670040003f003e003300320031"
	"0030009a0099009800970045004400430042c031c02dc029c025c00ec004009c003c002f00960041c012c00800160013"
	"0010000dc00dc003000a000700ff0100013300000013001100000e7777772e676f6f676c652e636f6d000b0004030001"
	"02000a000a00080017001900180016000d0020001e060106020603050105020503040104020403030103020303020102"
	"020203000f000101337400000010000e000c02683208687474702f312e31001500c30000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000";
/* 101 bytes */
static const char mtu300_sh[] =
	"16030300600200005c030362ebcc79f919e9e82a26e6d747e3679a932b5174cafc5b78444f574e4752440120571a15d3"
	"d931263f0044706d2d86f16fe71dabc512be1f50c2b5197f6fe7f334c02b000014ff01000100000b0002010000100005"
	"0003026832";
/* 521 bytes */
static const char pinterest_ch[] =
	"16030102040100020003038aed57a6182573061c49eec85142014e2f19586ff8fc2fe64862b771c72ff1bc20d5876fdd"
	"04a0203dbf007866007e223cd184a65d36b086d6df2ddfeae5ba4bc00020baba130113021303c02bc02fc02cc030cca9"
	"cca8c013c014009c009d002f0035010001975a5a000000000015001300001072752e70696e7465726573742e636f6d00"
	"170000ff01000100000a000a00084a4a001d00170018000b00020100002300000010000e000c02683208687474702f31"
	"2e31000500050100000000000d0012001004030804040105030805050108060601001200000033002b00294a4a000100"
	"001d00209ae32aa944df4d8ef81f9e35f97fd36818d59c1b810c20b8c85ea317c50dee07002d00020101002b000706ca"
	"ca03040303001b0003020002446900050003026832eaea000100002900cb00a600a0a9d97473020f8ffe6eb25d33edc6"
	"fb023c0c6f085ee8a0a976a2bdc6fefc3be4df5107be0b0844bf25816258b09c7cc53c3acd7f167011a8d35880a0b761"
	"762a5373d07e82c203b1bf587ea1ca29a35419456e620d9e8c95974de24948343f00fb735cf64ca17055a663cc91e5f3"
	"668bb63843584f0aa3e73e402d3c2f390bd6f760e8fce8749f03c72997eebeb912d368ee3a47fa89387204953f44df25"
	"7a44aa8d22c1002120caaf0246c12ce7e3d9a730a8ced21fa6963bfa74cb02359965b4eac4512f5aa5";

/* ------------------------------------------------------------------ */
/* Engine stand-in                                                     */

#define CAP_MAX 16
#define PIECE_MAX 20000

/** Messages handed to the emit interface. */
struct cap {
	struct fc_event_session ev[CAP_MAX];
	struct fc_l7_msg msg[CAP_MAX];
	unsigned int begun;
	unsigned int ended;
	int refuse;             /**< begin() answers NULL */
};

/** One flow: parser state, per-side tails, captured messages. */
struct flow {
	uint8_t state[128];
	uint8_t tail[2][FC_L7_TAIL_MAX + PIECE_MAX];
	uint32_t tl[2];
	uint32_t tail_peak;
	struct cap cap;
	struct fc_l7_emit emit;
	int stopped;            /**< DETACH or ERROR seen */
	enum fc_l7_result last;
	const char *error;
};

static struct fc_l7_msg *
cap_begin(void *arg, uint8_t kind, uint8_t side)
{
	struct cap *c = arg;
	struct fc_l7_msg *m;

	assert_int_equal(c->begun, c->ended); /* one message open at a time */
	if (c->refuse || c->begun == CAP_MAX)
		return NULL;
	m = &c->msg[c->begun];
	memset(&c->ev[c->begun], 0, sizeof(c->ev[0]));
	c->ev[c->begun].proto = FC_L7_TLS;
	c->ev[c->begun].kind = kind;
	c->ev[c->begun].side = side;
	m->s = &c->ev[c->begun];
	c->begun++;
	return m;
}

static void
cap_end(void *arg, struct fc_l7_msg *m)
{
	struct cap *c = arg;

	assert_ptr_equal(m, &c->msg[c->begun - 1]);
	c->ended++;
}

static struct flow *
flow_new(void)
{
	struct flow *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_true(fc_l7_tls.state_size <= sizeof(f->state));
	fc_l7_tls.init(f->state);
	f->emit.begin = cap_begin;
	f->emit.end = cap_end;
	f->emit.arg = &f->cap;
	return f;
}

static void
flow_free(struct flow *f)
{
	if (fc_l7_tls.fini != NULL)
		fc_l7_tls.fini(f->state);
	free(f);
}

/*
 * Deliver one piece on a side the way the engine does: append it to the
 * unconsumed tail, call parse() until it needs more, keep the rest.
 * Returns the last result (FC_L7_OK when everything offered is consumed).
 */
static enum fc_l7_result
feed(struct flow *f, uint8_t side, const uint8_t *p, uint32_t n)
{
	enum fc_l7_result r = FC_L7_OK;

	if (f->stopped)
		return f->last;
	assert_true(n <= PIECE_MAX);
	memcpy(f->tail[side] + f->tl[side], p, n);
	f->tl[side] += n;
	while (f->tl[side] > 0) {
		uint32_t c = UINT32_MAX;

		f->emit.error = NULL;
		r = fc_l7_tls.parse(f->state, side, f->tail[side], f->tl[side], &c, 0, &f->emit);
		assert_int_equal(f->cap.begun, f->cap.ended);
		if (r == FC_L7_ERROR || r == FC_L7_DETACH) {
			f->stopped = 1;
			f->last = r;
			f->error = f->emit.error;
			if (r == FC_L7_ERROR)
				assert_non_null(f->error);
			return r;
		}
		if (r == FC_L7_NEED_MORE) {
			assert_int_equal(c, 0);
			break;
		}
		assert_int_equal(r, FC_L7_OK);
		assert_true(c > 0 && c <= f->tl[side]);
		memmove(f->tail[side], f->tail[side] + c, f->tl[side] - c);
		f->tl[side] -= c;
	}
	/* The engine never keeps more than max_tail bytes for a side. */
	assert_true(f->tl[side] <= fc_l7_tls.max_tail);
	if (f->tl[side] > f->tail_peak)
		f->tail_peak = f->tl[side];
	f->last = r;
	return r;
}

/* Deliver in pieces of `step` bytes. */
static enum fc_l7_result
feed_steps(struct flow *f, uint8_t side, const uint8_t *p, uint32_t n, uint32_t step)
{
	enum fc_l7_result r = FC_L7_OK;

	for (uint32_t o = 0; o < n && !f->stopped; o += step)
		r = feed(f, side, p + o, n - o < step ? n - o : step);
	return f->stopped ? f->last : r;
}

static size_t
unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = strlen(h) / 2;

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/*
 * Value of a field of a captured message by its JSON name, NUL-terminated
 * in buf; repeated fields joined with ';'. NULL if absent.
 */
static const char *
fld(const struct fc_event_session *s, const char *name, char *buf, size_t len)
{
	uint16_t off = 0, l;
	uint8_t id, type;
	const uint8_t *p;
	size_t o = 0;
	int found = 0;

	buf[0] = '\0';
	while (fc_l7_next_field(s, &off, &id, &type, &p, &l)) {
		assert_true(id < fc_l7_tls.n_fields);
		if (strcmp(fc_l7_tls.fields[id].name, name) != 0)
			continue;
		if (found)
			buf[o++] = ';';
		if (type == FC_L7_T_BOOL) {
			assert_int_equal(l, 1);
			o += (size_t)snprintf(buf + o, len - o, "%s", p[0] ? "true" : "false");
		} else {
			assert_int_equal(type, FC_L7_T_STR);
			assert_true(o + l + 1 < len);
			memcpy(buf + o, p, l);
			o += l;
			buf[o] = '\0';
		}
		found = 1;
	}
	return found ? buf : NULL;
}

static void
check_fld(const struct fc_event_session *s, const char *name, const char *want)
{
	char buf[4096];
	const char *got = fld(s, name, buf, sizeof(buf));

	if (want == NULL) {
		if (got != NULL)
			fail_msg("field %s: unexpected \"%s\"", name, got);
		return;
	}
	if (got == NULL)
		fail_msg("field %s: missing, want \"%s\"", name, want);
	if (strcmp(got, want) != 0)
		fail_msg("field %s: got \"%s\", want \"%s\"", name, got, want);
}

static int
same_msg(const struct fc_event_session *a, const struct fc_event_session *b)
{
	return a->kind == b->kind && a->side == b->side && a->truncated == b->truncated &&
	       a->used == b->used && a->n_fields == b->n_fields &&
	       memcmp(a->data, b->data, a->used) == 0;
}

/* Input placed right before a PROT_NONE page: any over-read faults. */
struct guard {
	uint8_t *map;
	size_t size;
};

static uint8_t *
guard_put(struct guard *g, const uint8_t *p, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data = (n + page - 1) / page * page;

	g->size = data + page;
	g->map = mmap(NULL, g->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map + data, page, PROT_NONE), 0);
	memcpy(g->map + data - n, p, n);
	return g->map + data - n;
}

static void
guard_free(struct guard *g)
{
	munmap(g->map, g->size);
}

static void
md5_hex(const char *s, char out[33])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL), 1);
	for (unsigned int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
sha256_12(const char *s, char out[13])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL), 1);
	for (unsigned int i = 0; i < 6; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ------------------------------------------------------------------ */
/* ClientHello / ServerHello builder                                   */

struct bb {
	uint8_t b[40000];
	size_t n;
};

static void
b8(struct bb *b, unsigned int v)
{
	assert_true(b->n < sizeof(b->b));
	b->b[b->n++] = (uint8_t)v;
}

static void
b16(struct bb *b, unsigned int v)
{
	b8(b, v >> 8);
	b8(b, v & 0xff);
}

static void
bmem(struct bb *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	if (n == 0)
		return;
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

/* Open a length prefix of `w` bytes; bclose() fills it with what follows. */
static size_t
bopen(struct bb *b, unsigned int w)
{
	size_t at = b->n;

	for (unsigned int i = 0; i < w; i++)
		b8(b, 0);
	return at;
}

static void
bclose(struct bb *b, size_t at, unsigned int w)
{
	size_t l = b->n - at - w;

	for (unsigned int i = 0; i < w; i++)
		b->b[at + i] = (uint8_t)(l >> (8 * (w - 1 - i)));
}

static void
ext_raw(struct bb *e, unsigned int type, const void *p, size_t n)
{
	b16(e, type);
	b16(e, (unsigned int)n);
	bmem(e, p, n);
}

static void
ext_sni(struct bb *e, const char *name)
{
	size_t x, l;

	b16(e, 0x0000);
	x = bopen(e, 2);
	l = bopen(e, 2);
	b8(e, 0);
	b16(e, (unsigned int)strlen(name));
	bmem(e, name, strlen(name));
	bclose(e, l, 2);
	bclose(e, x, 2);
}

/* ALPN with protocol names given as (length, bytes) pairs in one string list. */
static void
ext_alpn(struct bb *e, const char *const *names, const size_t *lens, unsigned int n)
{
	size_t x, l;

	b16(e, 0x0010);
	x = bopen(e, 2);
	l = bopen(e, 2);
	for (unsigned int i = 0; i < n; i++) {
		b8(e, (unsigned int)lens[i]);
		bmem(e, names[i], lens[i]);
	}
	bclose(e, l, 2);
	bclose(e, x, 2);
}

/* An extension holding a 16-bit list with a `w`-byte length prefix. */
static void
ext_list16(struct bb *e, unsigned int type, unsigned int w, const uint16_t *v, unsigned int n)
{
	size_t x, l;

	b16(e, type);
	x = bopen(e, 2);
	l = bopen(e, w);
	for (unsigned int i = 0; i < n; i++)
		b16(e, v[i]);
	bclose(e, l, w);
	bclose(e, x, 2);
}

/** Offsets (from the record start) of a built ClientHello's length fields. */
struct ch_layout {
	size_t hs_len;      /**< 24-bit handshake length */
	size_t sid_len;
	size_t ciphers_len;
	size_t comp_len;
	size_t exts_len;    /**< 0 if no extension block */
};

/* A ClientHello record (one record) from ciphers and a ready extension block. */
static void
build_ch(struct bb *out, unsigned int version, const uint16_t *ciphers, unsigned int nc,
	 const struct bb *exts, struct ch_layout *lay)
{
	size_t rec, hs, x;
	struct ch_layout l;

	out->n = 0;
	b8(out, 22);
	b16(out, 0x0301);
	rec = bopen(out, 2);
	b8(out, 1);
	hs = bopen(out, 3);
	l.hs_len = hs;
	b16(out, version);
	for (unsigned int i = 0; i < 32; i++)
		b8(out, i);
	l.sid_len = out->n;
	b8(out, 32);
	for (unsigned int i = 0; i < 32; i++)
		b8(out, 0xa0 + i);
	l.ciphers_len = out->n;
	x = bopen(out, 2);
	for (unsigned int i = 0; i < nc; i++)
		b16(out, ciphers[i]);
	bclose(out, x, 2);
	l.comp_len = out->n;
	b8(out, 1);
	b8(out, 0);
	l.exts_len = 0;
	if (exts != NULL) {
		l.exts_len = out->n;
		x = bopen(out, 2);
		bmem(out, exts->b, exts->n);
		bclose(out, x, 2);
	}
	bclose(out, hs, 3);
	bclose(out, rec, 2);
	if (lay != NULL)
		*lay = l;
}

/* A ServerHello record from its fields and a ready extension block. */
static void
build_sh(struct bb *out, unsigned int version, const uint8_t *random, unsigned int cipher,
	 const struct bb *exts)
{
	size_t rec, hs, x;

	out->n = 0;
	b8(out, 22);
	b16(out, 0x0303);
	rec = bopen(out, 2);
	b8(out, 2);
	hs = bopen(out, 3);
	b16(out, version);
	for (unsigned int i = 0; i < 32; i++)
		b8(out, random != NULL ? random[i] : 0x40 + i);
	b8(out, 0);
	b16(out, cipher);
	b8(out, 0);
	if (exts != NULL) {
		x = bopen(out, 2);
		bmem(out, exts->b, exts->n);
		bclose(out, x, 2);
	}
	bclose(out, hs, 3);
	bclose(out, rec, 2);
}

/* Re-frame a single-record handshake record into records of the given payload sizes. */
static void
reframe(struct bb *out, const uint8_t *rec, size_t n, const size_t *sizes, unsigned int ns)
{
	size_t body = n - 5, o = 0;

	out->n = 0;
	for (unsigned int i = 0; o < body; i++) {
		size_t take = i < ns ? sizes[i] : body - o;

		if (take > body - o)
			take = body - o;
		b8(out, rec[0]);
		b8(out, rec[1]);
		b8(out, rec[2]);
		b16(out, (unsigned int)take);
		bmem(out, rec + 5 + o, take);
		o += take;
	}
}

/* A record of any type with the given payload. */
static void
record(struct bb *out, unsigned int type, unsigned int version, const void *p, size_t n)
{
	b8(out, type);
	b16(out, version);
	b16(out, (unsigned int)n);
	if (n > 0)
		bmem(out, p, n);
}

/* A handshake message of `len` body bytes (filled with `fill`) inside one record. */
static void
hs_record(struct bb *out, unsigned int hs_type, size_t len, uint8_t fill)
{
	size_t rec;

	b8(out, 22);
	b16(out, 0x0303);
	rec = bopen(out, 2);
	b8(out, hs_type);
	b8(out, (unsigned int)(len >> 16));
	b16(out, (unsigned int)(len & 0xffff));
	for (size_t i = 0; i < len; i++)
		b8(out, fill);
	bclose(out, rec, 2);
}

static uint32_t
get24(const uint8_t *p)
{
	return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

static void
set24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static const uint8_t ccs_byte = 1;
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* ------------------------------------------------------------------ */
/* Corpus vectors: expected values                                     */

struct tls_vec {
	const char *name;
	const char *ch;         /**< client bytes (hex) */
	const char *sh;         /**< server bytes (hex), NULL if none */
	uint8_t ch_side;        /**< side the client is fed on */
	const char *server_name, *alpn, *ja3, *ja4;
	const char *version, *cipher, *next_protocol, *curve, *ja3s;
	unsigned int n_alerts;  /**< alerts before the ServerHello */
};

static const struct tls_vec vecs[] = {
	/* nDPI: SNI, ALPNs, JA3C, JA4, JA3S, TLSv1.2, cipher, negotiated h2. */
	{ "ndpi-443-curl", curl_ch, curl_sh, 0, "www.ntop.org", "h2;http/1.1",
	  "2a26b1a62e40d25d4de3babc9d532f30", "t12d6707h2_2955a3196ffa_c83f907a73d3",
	  "TLSv12", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "h2", NULL,
	  "ae53107a2e47ea20c72ac44821a728bf", 0 },
	/* nDPI: all but version, which nDPI names "TLSv1.3 (Fizz)" (0xfb1a).
	 * The client is fed on side 1 (a flow whose originator is the server). */
	{ "ndpi-tls_2_reasms", reasms_ch, reasms_sh, 1, "i.instagram.com", "h2;h2-fb;http/1.1",
	  "44dab16d680ef93487bc16ad23b3ffb1", "t00d0309h2_55b375c5d22e_566d5108064c",
	  "unknown-0xfb1a", "TLS_AES_128_GCM_SHA256", NULL, "x25519",
	  "fcb2d4d0991292272fcb1e464eedfd43", 0 },
	/* Zeek ssl.log: version, cipher, curve, server_name; tshark: JA3, JA3S. */
	{ "zeek-tls13-chrome-kyber", kyber_ch, kyber_sh, 0, "lh3.google.com", "h2;http/1.1",
	  "9d33d8206d4fec4c8b1423c728f4cd3c", "t13d1516h2_8daaf6152771_02713d6af862",
	  "TLSv13", "TLS_AES_128_GCM_SHA256", NULL, "X25519Kyber768Draft00",
	  "eb1d94daa7e0344597e756a1fb6e7054", 0 },
	/* Zeek ssl.log: TLSv10, RC4 cipher, server_name; tshark: JA3, JA3S. */
	{ "zeek-tls-conn-with-extensions", ext_ch, ext_sh, 0, "ssl.gstatic.com", NULL,
	  "62351d5ea3cd4f21f697965b10a9bbbe", "t10d360600_b06c425f59b5_eb0e26099a3f",
	  "TLSv10", "TLS_ECDHE_RSA_WITH_RC4_128_SHA", NULL, NULL,
	  "e07f21892995126f4b539c02215c8456", 0 },
	/* nDPI; JA4 "d": the SNI extension is present (nDPI: "i", IP literal). */
	{ "ndpi-1kxun/15", kxun_ch, kxun_sh, 0, "192.168.115.75", NULL,
	  "799135475da362592a4be9199d258726", "t12d370500_07a749158664_d075105c1994",
	  "TLSv12", "TLS_RSA_WITH_AES_128_CBC_SHA", NULL, NULL,
	  "573a9f3f80037fb40d481e2054def5bb", 0 },
	/* nDPI; JA4 ALPN "h1" for http/1.1 (nDPI: "ht"); a warning alert first. */
	{ "ndpi-http_ipv6/3", ipv6_ch, ipv6_sh, 0, "www.ntop.org", "http/1.1;spdy/3.1;h2-14;h2",
	  "d3e627f423a33ea41841c19b8af79293", "t12d1612h1_94fc43e2fc61_c9eaec7dbab4",
	  "TLSv12", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", NULL, NULL,
	  "389ed42c02ebecc32e73aa31def07e14", 1 },
	/* nDPI: JA3S, cipher, no SNI (no JA3C printed); tshark: JA3. */
	{ "ndpi-ja3_lots_of_cipher_suites", lots_ch, lots_sh, 0, NULL, NULL,
	  "b2498734f22ddc9be05c39837ac8ac54", "t12i990300_28808c40d9f1_1e2a54cae03f",
	  "TLSv12", "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", NULL, NULL,
	  "9d456958a9e86bb0d503543beaf1a65b", 0 },
	/* nDPI (inner flow of VXLAN). */
	{ "ndpi-vxlan/1", vxlan_ch, vxlan_sh, 0, "www.facebook.com", NULL,
	  "40adfd923eb82b89d8836ba37a19bca1", "t13d311000_e8f1e7e78f70_5ac7197df9d2",
	  "TLSv13", "TLS_CHACHA20_POLY1305_SHA256", NULL, "x25519",
	  "475c9302dc42b2751db9edcac3b74891", 0 },
	/* nDPI; JA4 ALPN "s1" for spdy/3.1 (nDPI: "sp"). */
	{ "ndpi-6in4tunnel/1", sixin4_ch, sixin4_sh, 0, "www.facebook.com",
	  "spdy/3.1;h2-14;h2;http/1.1",
	  "eb7cdd4e7dea7a11b3016c3c9acbd2a3", "t12d1311s1_94beff773b37_06a4338d0495",
	  "TLSv12", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", NULL, NULL,
	  "6806b8fe92d7d465715d771eb102ff04", 0 },
	/* Zeek ssl.log (outer SNI of ECH); tshark: JA3, JA3S. */
	{ "zeek-tls13-ech/1", ech_ch, ech_sh, 0, "cloudflare-ech.com", "h2;http/1.1",
	  "2fcbf8655473005933c5869b2b5d8044", "t13d1517h2_8daaf6152771_b1ff8ab2d16f",
	  "TLSv13", "TLS_AES_128_GCM_SHA256", NULL, "x25519",
	  "f4febc55ea12b31ae17cfb7e614afda8", 0 },
	/* suricata-verify: tls.sni; tshark: JA3, JA3S. */
	{ "sv-tls-client-hello-frag-mtu300", mtu300_ch, mtu300_sh, 0, "www.google.com",
	  "h2;http/1.1",
	  "a64c29923906f2a1be278be1da0714fa", "t12d8008h2_9cedc1f1428b_046e095b7c4a",
	  "TLSv12", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "h2", NULL,
	  "a27e76e64afe9199440ad714848966f8", 0 },
	/* nDPI (ndpi-heuristic_tcp_ack_payload, Chrome with GREASE): client only. */
	{ "ndpi-heuristic_tcp_ack_payload/5", pinterest_ch, NULL, 0, "ru.pinterest.com",
	  "h2;http/1.1",
	  "598872011444709307b861ae817a4b60", "t13d1516h2_8daaf6152771_9b887d9acb53",
	  NULL, NULL, NULL, NULL, NULL, 0 },
};

static size_t
vec_bytes(const char *hex, uint8_t *out, size_t cap)
{
	return unhex(hex, out, cap);
}

static const struct tls_vec *
vec_by_name(const char *name)
{
	for (size_t i = 0; i < FC_DIM(vecs); i++)
		if (strcmp(vecs[i].name, name) == 0)
			return &vecs[i];
	fail_msg("no vector %s", name);
	return NULL;
}

static void
check_ch(const struct fc_event_session *s, const struct tls_vec *v)
{
	assert_int_equal(s->kind, 0);
	assert_int_equal(s->side, v->ch_side);
	check_fld(s, "server_name", v->server_name);
	check_fld(s, "alpn", v->alpn);
	check_fld(s, "ja3", v->ja3);
	check_fld(s, "ja4", v->ja4);
}

static void
check_sh(const struct fc_event_session *s, const struct tls_vec *v)
{
	assert_int_equal(s->kind, 1);
	assert_int_equal(s->side, 1 - v->ch_side);
	check_fld(s, "version", v->version);
	check_fld(s, "cipher", v->cipher);
	check_fld(s, "next_protocol", v->next_protocol);
	check_fld(s, "curve", v->curve);
	check_fld(s, "ja3s", v->ja3s);
}

/*
 * Every corpus vector, each direction in one piece: the client_hello and
 * server_hello fields equal nDPI / Zeek / suricata-verify / tshark.
 */
static void
test_tls_corpus_vectors(void **state)
{
	static uint8_t buf[8192];

	(void)state;
	for (size_t i = 0; i < FC_DIM(vecs); i++) {
		const struct tls_vec *v = &vecs[i];
		struct flow *f = flow_new();
		size_t n;

		print_message("%s\n", v->name);
		n = vec_bytes(v->ch, buf, sizeof(buf));
		assert_int_equal(fc_l7_tls.probe(buf, (uint32_t)n, v->ch_side), FC_L7_PROBE_YES);
		assert_int_equal(feed(f, v->ch_side, buf, (uint32_t)n), FC_L7_OK);
		assert_int_equal(f->tl[v->ch_side], 0);
		assert_int_equal(f->cap.ended, 1);
		check_ch(&f->cap.ev[0], v);
		if (v->sh != NULL) {
			n = vec_bytes(v->sh, buf, sizeof(buf));
			assert_int_equal(feed(f, 1 - v->ch_side, buf, (uint32_t)n), FC_L7_OK);
			assert_int_equal(f->tl[1 - v->ch_side], 0);
			assert_int_equal(f->cap.ended, 2 + v->n_alerts);
			check_sh(&f->cap.ev[1 + v->n_alerts], v);
		}
		flow_free(f);
	}
}

/*
 * ndpi-http_ipv6: the server's warning alert (unrecognized_name) before
 * its ServerHello is an alert message; ndpi-443-curl: the lists carry the
 * wire order with the raw codes; ndpi-tls_2_reasms: TLS 1.3 fields.
 */
static void
test_tls_corpus_details(void **state)
{
	static uint8_t buf[8192];
	struct flow *f = flow_new();
	size_t n;

	(void)state;
	n = vec_bytes(ipv6_sh, buf, sizeof(buf));
	assert_int_equal(feed(f, 1, buf, (uint32_t)n), FC_L7_OK);
	assert_int_equal(f->cap.ended, 2);
	assert_int_equal(f->cap.ev[0].kind, 2);
	check_fld(&f->cap.ev[0], "level", "warning");
	check_fld(&f->cap.ev[0], "description", "unrecognized_name");
	flow_free(f);

	f = flow_new();
	n = vec_bytes(curl_ch, buf, sizeof(buf));
	feed(f, 0, buf, (uint32_t)n);
	n = vec_bytes(curl_sh, buf, sizeof(buf));
	feed(f, 1, buf, (uint32_t)n);
	assert_int_equal(f->cap.ended, 2);
	check_fld(&f->cap.ev[0], "client_version", "TLSv12");
	check_fld(&f->cap.ev[0], "ssl_client_exts", "0000,000b,000a,000d,3374,0010,0015");
	check_fld(&f->cap.ev[0], "point_formats", "00,01,02");
	check_fld(&f->cap.ev[0], "client_supported_versions", NULL);
	check_fld(&f->cap.ev[0], "sigalgs",
		  "0601,0602,0603,efef,0501,0502,0503,0401,0402,0403,eeee,eded,0301,0302,0303,"
		  "0201,0202,0203");
	check_fld(&f->cap.ev[1], "ssl_server_exts", "ff01,0000,000b,0010");
	check_fld(&f->cap.ev[1], "server_version", "TLSv12");
	check_fld(&f->cap.ev[1], "ja3s_full", "771,49199,65281-0-11-16");
	assert_int_equal(f->cap.ev[0].truncated, 0);
	flow_free(f);

	f = flow_new();
	n = vec_bytes(reasms_ch, buf, sizeof(buf));
	feed(f, 1, buf, (uint32_t)n);
	n = vec_bytes(reasms_sh, buf, sizeof(buf));
	feed(f, 0, buf, (uint32_t)n);
	check_fld(&f->cap.ev[0], "client_supported_versions", "0304,fb1a");
	check_fld(&f->cap.ev[0], "client_key_share_groups", "001d");
	check_fld(&f->cap.ev[0], "ja3_full", "771,4865-4866-4867,43-10-51-13-0-16-45-42-41,29-23,");
	check_fld(&f->cap.ev[1], "server_version", "TLSv12");
	check_fld(&f->cap.ev[1], "server_supported_version", "unknown-0xfb1a");
	check_fld(&f->cap.ev[1], "hello_retry_request", NULL);
	flow_free(f);
}

/*
 * sv-tls-client-hello-frag-mtu300: the 517-byte ClientHello arrives in
 * the capture's TCP segments (248, 248, 21 bytes): the first two leave a
 * tail (record header consumed), the third completes the message.
 */
static void
test_tls_ch_tcp_segments(void **state)
{
	static uint8_t buf[8192];
	struct flow *f = flow_new();
	size_t n = vec_bytes(mtu300_ch, buf, sizeof(buf));

	(void)state;
	assert_int_equal(n, 517);
	/* The record header is consumed (OK), then the rest waits (NEED_MORE). */
	assert_int_equal(feed(f, 0, buf, 248), FC_L7_NEED_MORE);
	assert_int_equal(f->tl[0], 243);
	assert_int_equal(f->cap.ended, 0);
	assert_int_equal(feed(f, 0, buf + 248, 248), FC_L7_NEED_MORE);
	assert_int_equal(f->tl[0], 491);
	assert_int_equal(feed(f, 0, buf + 496, 21), FC_L7_OK);
	assert_int_equal(f->tl[0], 0);
	assert_int_equal(f->cap.ended, 1);
	check_ch(&f->cap.ev[0], vec_by_name("sv-tls-client-hello-frag-mtu300"));
	flow_free(f);
}

/* Deliver a side's bytes split in two at k; return the flow. */
static struct flow *
split_run(const uint8_t *p, size_t n, uint8_t side, size_t k)
{
	struct flow *f = flow_new();

	if (k > 0)
		feed(f, side, p, (uint32_t)k);
	if (n - k > 0)
		feed(f, side, p + k, (uint32_t)(n - k));
	return f;
}

/*
 * Every split point of a hello delivered in two pieces gives the same
 * messages, byte for byte, as one piece (ClientHellos of curl, Chrome
 * with Kyber, the 350-suite one; ServerHellos of curl and Kyber, and the
 * alert + ServerHello of http_ipv6).
 */
static void
test_tls_split_every_point(void **state)
{
	static const struct { const char *hex; uint8_t side; } cases[] = {
		{ curl_ch, 0 }, { kyber_ch, 0 }, { lots_ch, 0 },
		{ curl_sh, 1 }, { kyber_sh, 1 }, { ipv6_sh, 1 },
	};
	static uint8_t buf[8192];

	(void)state;
	for (size_t c = 0; c < FC_DIM(cases); c++) {
		size_t n = vec_bytes(cases[c].hex, buf, sizeof(buf));
		struct flow *ref = split_run(buf, n, cases[c].side, 0);

		assert_true(ref->cap.ended >= 1);
		for (size_t k = 1; k < n; k++) {
			struct flow *f = split_run(buf, n, cases[c].side, k);

			assert_int_equal(f->stopped, 0);
			assert_int_equal(f->tl[cases[c].side], 0);
			assert_int_equal(f->cap.ended, ref->cap.ended);
			for (unsigned int m = 0; m < ref->cap.ended; m++)
				assert_true(same_msg(&f->cap.ev[m], &ref->cap.ev[m]));
			flow_free(f);
		}
		flow_free(ref);
	}
}

/* One byte per call: same messages as one piece. */
static void
test_tls_byte_at_a_time(void **state)
{
	static uint8_t buf[8192];
	const char *hex[] = { mtu300_ch, kyber_sh, ipv6_sh };
	const uint8_t side[] = { 0, 1, 1 };

	(void)state;
	for (size_t c = 0; c < FC_DIM(hex); c++) {
		size_t n = vec_bytes(hex[c], buf, sizeof(buf));
		struct flow *ref = split_run(buf, n, side[c], 0);
		struct flow *f = flow_new();

		assert_int_equal(feed_steps(f, side[c], buf, (uint32_t)n, 1), FC_L7_OK);
		assert_int_equal(f->cap.ended, ref->cap.ended);
		for (unsigned int m = 0; m < ref->cap.ended; m++)
			assert_true(same_msg(&f->cap.ev[m], &ref->cap.ev[m]));
		flow_free(f);
		flow_free(ref);
	}
}

/*
 * Truncation at every byte: each prefix of a valid hello, placed against
 * a PROT_NONE page and parsed directly on a fresh state, gives OK or
 * NEED_MORE, consumes at most what it was given and emits no hello.
 */
static void
test_tls_truncation_every_byte(void **state)
{
	static const struct { const char *hex; uint8_t side; } cases[] = {
		{ curl_ch, 0 }, { kyber_ch, 0 }, { ext_ch, 0 }, { reasms_ch, 1 },
		{ curl_sh, 1 }, { kyber_sh, 1 }, { ipv6_sh, 1 }, { lots_sh, 1 },
	};
	static uint8_t buf[8192];

	(void)state;
	for (size_t c = 0; c < FC_DIM(cases); c++) {
		size_t n = vec_bytes(cases[c].hex, buf, sizeof(buf));

		for (size_t k = 0; k < n; k++) {
			struct flow *f = flow_new();
			struct guard g;
			uint8_t *p = guard_put(&g, buf, k);
			uint32_t used = UINT32_MAX;
			enum fc_l7_result r;

			r = fc_l7_tls.parse(f->state, cases[c].side, p, (uint32_t)k, &used, 0,
					    &f->emit);
			assert_true(r == FC_L7_OK || r == FC_L7_NEED_MORE);
			assert_true(used <= k);
			for (unsigned int m = 0; m < f->cap.ended; m++)
				assert_int_equal(f->cap.ev[m].kind, 2); /* only the leading alert */
			guard_free(&g);
			flow_free(f);
		}
	}
}

/*
 * A ClientHello fragmented over several handshake records (the handshake
 * header itself split over the first two) gives the same message as the
 * one-record original, delivered whole or one byte at a time; the tail
 * holds the hello plus the headers it crosses.
 */
static void
test_tls_hello_across_records(void **state)
{
	static const size_t layouts[][4] = {
		{ 2, 3, 100, 0 }, { 1, 1, 1, 1 }, { 4, 0, 0, 0 }, { 300, 0, 0, 0 }, { 511, 0, 0, 0 },
	};
	static uint8_t buf[8192];
	static struct bb rf;
	size_t n = vec_bytes(curl_ch, buf, sizeof(buf));
	struct flow *ref = split_run(buf, n, 0, 0);

	(void)state;
	for (size_t l = 0; l < FC_DIM(layouts); l++) {
		unsigned int ns = 0;
		struct flow *f;

		while (ns < 4 && layouts[l][ns] != 0)
			ns++;
		reframe(&rf, buf, n, layouts[l], ns);
		for (uint32_t step = 1; step <= rf.n; step = step == 1 ? (uint32_t)rf.n : step + 1) {
			f = flow_new();
			assert_int_equal(feed_steps(f, 0, rf.b, (uint32_t)rf.n, step), FC_L7_OK);
			assert_int_equal(f->tl[0], 0);
			assert_int_equal(f->cap.ended, 1);
			assert_true(same_msg(&f->cap.ev[0], &ref->cap.ev[0]));
			flow_free(f);
		}
	}
	/* Every split of the handshake message into two records. */
	for (size_t k = 1; k < n - 5; k++) {
		size_t sz[1] = { k };
		struct flow *f = flow_new();

		reframe(&rf, buf, n, sz, 1);
		feed(f, 0, rf.b, (uint32_t)rf.n);
		assert_int_equal(f->cap.ended, 1);
		assert_true(same_msg(&f->cap.ev[0], &ref->cap.ev[0]));
		flow_free(f);
	}
	flow_free(ref);
}

/* ------------------------------------------------------------------ */
/* Record layer                                                        */

/* Feed raw bytes on a fresh flow; return the result. */
static enum fc_l7_result
run_raw(const struct bb *b, uint8_t side, const char **err)
{
	struct flow *f = flow_new();
	enum fc_l7_result r = feed(f, side, b->b, (uint32_t)b->n);

	*err = f->error;
	flow_free(f);
	return r;
}

/*
 * Record headers: content type, version and length limits, the fixed
 * lengths of plaintext CCS and alert records, an empty handshake record,
 * and a record of another type inside a handshake message.
 */
static void
test_tls_record_errors(void **state)
{
	static uint8_t big[16384 + 2048 + 1];
	static struct bb b;
	static uint8_t buf[8192];
	const char *err;
	size_t n;

	(void)state;
	/* Content type 0x30, then 19 (below CCS). */
	b.n = 0;
	record(&b, 0x30, 0x0303, "ab", 2);
	assert_int_equal(run_raw(&b, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "record content type");
	b.n = 0;
	record(&b, 19, 0x0303, "ab", 2);
	assert_int_equal(run_raw(&b, 0, &err), FC_L7_ERROR);
	/* Versions 2.0 and 3.5. */
	b.n = 0;
	record(&b, 23, 0x0200, "ab", 2);
	assert_int_equal(run_raw(&b, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "record version");
	b.n = 0;
	record(&b, 23, 0x0305, "ab", 2);
	assert_int_equal(run_raw(&b, 0, &err), FC_L7_ERROR);
	/* Length at the maximum (2^14 + 2048) is skipped; one more is an error. */
	b.n = 0;
	record(&b, 23, 0x0303, big, sizeof(big) - 1);
	assert_int_equal(run_raw(&b, 0, &err), FC_L7_OK);
	b.n = 0;
	record(&b, 23, 0x0303, big, sizeof(big));
	assert_int_equal(run_raw(&b, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "record length");
	/* Length 0: application data is fine, a handshake record is not. */
	b.n = 0;
	record(&b, 23, 0x0303, NULL, 0);
	assert_int_equal(run_raw(&b, 0, &err), FC_L7_OK);
	b.n = 0;
	record(&b, 22, 0x0303, NULL, 0);
	assert_int_equal(run_raw(&b, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "empty handshake record");
	/* Plaintext CCS: length 1, value 1. */
	b.n = 0;
	record(&b, 20, 0x0303, "\x01\x01", 2);
	assert_int_equal(run_raw(&b, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "change_cipher_spec length");
	b.n = 0;
	record(&b, 20, 0x0303, "\x02", 1);
	assert_int_equal(run_raw(&b, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "change_cipher_spec value");
	/* Plaintext alert: an even length of at least 2. */
	b.n = 0;
	record(&b, 21, 0x0303, "\x02\x28\x01", 3);
	assert_int_equal(run_raw(&b, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "alert length");
	b.n = 0;
	record(&b, 21, 0x0303, NULL, 0);
	assert_int_equal(run_raw(&b, 0, &err), FC_L7_ERROR);
	/* An alert record between two fragments of a ClientHello. */
	n = vec_bytes(curl_ch, buf, sizeof(buf));
	{
		size_t sz[1] = { 100 };
		struct bb *rf = calloc(1, sizeof(*rf));

		assert_non_null(rf);
		reframe(rf, buf, n, sz, 1);
		b.n = 0;
		bmem(&b, rf->b, 105);
		record(&b, 21, 0x0303, "\x01\x00", 2);
		bmem(&b, rf->b + 105, rf->n - 105);
		assert_int_equal(run_raw(&b, 0, &err), FC_L7_ERROR);
		assert_string_equal(err, "record interrupts a handshake message");
		free(rf);
	}
	/* A record interrupting a skipped handshake message (Certificate). */
	b.n = 0;
	b8(&b, 22);
	b16(&b, 0x0303);
	b16(&b, 10);
	bmem(&b, "\x0b\x00\x01\x00\x00\x00\x00\x00\x00\x00", 10);
	record(&b, 23, 0x0303, "xx", 2);
	assert_int_equal(run_raw(&b, 1, &err), FC_L7_ERROR);
	assert_string_equal(err, "record interrupts a handshake message");
}

/* A valid ClientHello's pieces for the mutation tables. */
static const uint16_t base_ciphers[] = { 0x1301, 0xc02f, 0x002f };

static void
base_exts(struct bb *e)
{
	static const char *const alpn[] = { "h2" };
	static const size_t alpn_len[] = { 2 };
	static const uint16_t groups[] = { 0x001d };
	static const uint16_t sig[] = { 0x0403 };

	e->n = 0;
	ext_sni(e, "a.example");
	ext_alpn(e, alpn, alpn_len, 1);
	ext_list16(e, 0x000a, 2, groups, 1);
	ext_list16(e, 0x000d, 2, sig, 1);
}

/*
 * Length fields of a ClientHello that disagree with their enclosing
 * structure: each mutation is an error with its reason; the unmutated
 * hello parses.
 */
static void
test_tls_hello_length_errors(void **state)
{
	static struct bb e, ch;
	struct ch_layout lay;
	const char *err;

	(void)state;
	base_exts(&e);
	build_ch(&ch, 0x0303, base_ciphers, 3, &e, &lay);
	assert_int_equal(run_raw(&ch, 0, &err), FC_L7_OK);

	/* session_id length 33. */
	ch.b[lay.sid_len] = 33;
	assert_int_equal(run_raw(&ch, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "client_hello session_id length");
	build_ch(&ch, 0x0303, base_ciphers, 3, &e, &lay);
	/* cipher_suites odd, and overrunning. */
	ch.b[lay.ciphers_len + 1] = 5;
	assert_int_equal(run_raw(&ch, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "client_hello cipher_suites length");
	ch.b[lay.ciphers_len] = 0x10;
	ch.b[lay.ciphers_len + 1] = 0x00;
	assert_int_equal(run_raw(&ch, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "client_hello cipher_suites length");
	build_ch(&ch, 0x0303, base_ciphers, 3, &e, &lay);
	/* compression_methods overrunning. */
	ch.b[lay.comp_len] = 0xff;
	assert_int_equal(run_raw(&ch, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "client_hello compression_methods length");
	build_ch(&ch, 0x0303, base_ciphers, 3, &e, &lay);
	/* extensions block one byte longer, one byte shorter than what follows. */
	ch.b[lay.exts_len + 1]++;
	assert_int_equal(run_raw(&ch, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "client_hello extensions length");
	ch.b[lay.exts_len + 1] -= 2;
	assert_int_equal(run_raw(&ch, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "client_hello extensions length");
	build_ch(&ch, 0x0303, base_ciphers, 3, &e, &lay);
	/* First extension's length past the block. */
	ch.b[lay.exts_len + 4] = 0x7f;
	assert_int_equal(run_raw(&ch, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "client_hello extension length");

	/* Inner lengths of decoded extensions. */
	static const struct {
		unsigned int type;
		const char *data;
		size_t len;
		const char *reason;
	} inner[] = {
		{ 0x0000, "\x00\x05\x00\x00\x01x", 6, "server_name list length" },
		{ 0x0000, "\x00\x04\x00\x00\x09x", 6, "server_name entry length" },
		{ 0x0000, "\x00\x02\x00\x00", 4, "server_name entry length" },
		{ 0x0000, "\x00", 1, "server_name list length" },
		{ 0x0010, "\x00\x04\x02h2", 5, "alpn list length" },
		{ 0x0010, "\x00\x03\x05h2", 5, "alpn entry length" },
		{ 0x0010, "", 0, "alpn list length" },
		{ 0x000a, "\x00\x03\x00\x1d\x00", 5, "supported_groups length" },
		{ 0x000a, "\x00\x04\x00\x1d", 4, "supported_groups length" },
		{ 0x000d, "\x00\x01\x04", 3, "signature_algorithms length" },
		{ 0x000b, "\x02\x00", 2, "ec_point_formats length" },
		{ 0x000b, "", 0, "ec_point_formats length" },
		{ 0x002b, "\x03\x03\x04\x03", 4, "supported_versions length" },
		{ 0x002b, "\x04\x03\x04", 3, "supported_versions length" },
		{ 0x0033, "\x00\x06\x00\x1d\x00\x09" "ab", 8, "key_share entry length" },
		{ 0x0033, "\x00\x03\x00\x1d\x00", 5, "key_share entry length" },
		{ 0x0033, "\x00\x09\x00\x1d", 4, "key_share list length" },
	};
	for (size_t i = 0; i < FC_DIM(inner); i++) {
		static struct bb e2;

		base_exts(&e2);
		ext_raw(&e2, inner[i].type, inner[i].data, inner[i].len);
		if (inner[i].type == 0x0000 || inner[i].type == 0x0010 ||
		    inner[i].type == 0x000a || inner[i].type == 0x000d) {
			/* Put the bad one first so it is the one decoded. */
			e2.n = 0;
			ext_raw(&e2, inner[i].type, inner[i].data, inner[i].len);
		}
		build_ch(&ch, 0x0303, base_ciphers, 3, &e2, NULL);
		print_message("inner %zu\n", i);
		assert_int_equal(run_raw(&ch, 0, &err), FC_L7_ERROR);
		assert_string_equal(err, inner[i].reason);
	}

	/* Handshake length 0 and 1 for a ClientHello (body too short). */
	build_ch(&ch, 0x0303, base_ciphers, 3, &e, &lay);
	ch.n = 9;
	ch.b[3] = 0;
	ch.b[4] = 4;
	ch.b[6] = ch.b[7] = ch.b[8] = 0;
	assert_int_equal(run_raw(&ch, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "client_hello too short");
	/* Handshake length shorter than the record: the rest is a second,
	 * bogus message and the hello's own blocks no longer add up. */
	build_ch(&ch, 0x0303, base_ciphers, 3, &e, &lay);
	set24(ch.b + lay.hs_len, get24(ch.b + lay.hs_len) - 3);
	assert_int_equal(run_raw(&ch, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "client_hello extensions length");
	/* Handshake length 0xffffff. */
	build_ch(&ch, 0x0303, base_ciphers, 3, &e, &lay);
	ch.b[lay.hs_len] = ch.b[lay.hs_len + 1] = ch.b[lay.hs_len + 2] = 0xff;
	assert_int_equal(run_raw(&ch, 0, &err), FC_L7_ERROR);
	assert_string_equal(err, "client_hello longer than 16384 bytes");
	/* Handshake length longer than the record: waits for the next record. */
	build_ch(&ch, 0x0303, base_ciphers, 3, &e, &lay);
	set24(ch.b + lay.hs_len, get24(ch.b + lay.hs_len) + 3);
	assert_int_equal(run_raw(&ch, 0, &err), FC_L7_NEED_MORE);

	/* No extension block at all (TLS 1.0 style) parses. */
	build_ch(&ch, 0x0301, base_ciphers, 3, NULL, NULL);
	assert_int_equal(run_raw(&ch, 0, &err), FC_L7_OK);
}

/* ServerHello decoding errors. */
static void
test_tls_server_hello_errors(void **state)
{
	static const struct {
		unsigned int type;
		const char *data;
		size_t len;
		const char *reason;
	} cases[] = {
		{ 0x002b, "\x03\x04\x00", 3, "supported_versions length" },
		{ 0x0010, "\x00\x03\x05h2", 5, "alpn length" },
		{ 0x0010, "\x00\x02", 2, "alpn length" },
		{ 0x0033, "\x00", 1, "key_share length" },
		{ 0x0033, "\x00\x1d\x00\x05" "ab", 6, "key_share length" },
		{ 0x0033, "\x00\x1d\x00", 3, "key_share length" },
	};
	static struct bb e, sh;
	const char *err;

	(void)state;
	for (size_t i = 0; i < FC_DIM(cases); i++) {
		e.n = 0;
		ext_raw(&e, cases[i].type, cases[i].data, cases[i].len);
		build_sh(&sh, 0x0303, NULL, 0x1301, &e);
		assert_int_equal(run_raw(&sh, 1, &err), FC_L7_ERROR);
		assert_string_equal(err, cases[i].reason);
	}
	/* Extension block length off by one. */
	e.n = 0;
	ext_raw(&e, 0xff01, "\x00", 1);
	build_sh(&sh, 0x0303, NULL, 0x1301, &e);
	sh.b[5 + 4 + 2 + 32 + 1 + 3 + 1]++;
	assert_int_equal(run_raw(&sh, 1, &err), FC_L7_ERROR);
	assert_string_equal(err, "server_hello extensions length");
	/* Extension length past the block. */
	build_sh(&sh, 0x0303, NULL, 0x1301, &e);
	sh.b[5 + 4 + 2 + 32 + 1 + 3 + 2 + 3] = 9;
	assert_int_equal(run_raw(&sh, 1, &err), FC_L7_ERROR);
	assert_string_equal(err, "server_hello extension length");
	/* Body cut after the session id. */
	build_sh(&sh, 0x0303, NULL, 0x1301, NULL);
	sh.b[4] -= 3;
	sh.b[8] -= 3;
	sh.n -= 3;
	assert_int_equal(run_raw(&sh, 1, &err), FC_L7_ERROR);
	assert_string_equal(err, "server_hello too short");
	/* A ServerHello on side 0 is accepted and reported for side 0. */
	build_sh(&sh, 0x0303, NULL, 0x1301, NULL);
	assert_int_equal(run_raw(&sh, 0, &err), FC_L7_OK);
}

/*
 * Hello size limits: a ClientHello message of exactly 16384 bytes in one
 * record (the record header consumed, the 16384-byte tail kept) parses
 * while arriving in 1460-byte pieces; 16385 bytes is an error; 16384
 * bytes split over two records cannot fit the tail (16389) and is an
 * error, 16379 over two records fits exactly.
 */
static void
test_tls_hello_size_limits(void **state)
{
	static struct bb e, ch, rf;
	struct flow *f;

	(void)state;
	for (size_t msg = 16379; msg <= 16385; msg++) {
		size_t pad;

		base_exts(&e);
		build_ch(&ch, 0x0303, base_ciphers, 3, &e, NULL);
		/* message = record payload; add a padding extension to reach msg. */
		pad = msg - (ch.n - 5) - 4;
		{
			static uint8_t zeros[20000];

			ext_raw(&e, 0x0015, zeros, pad);
		}
		build_ch(&ch, 0x0303, base_ciphers, 3, &e, NULL);
		assert_int_equal(ch.n - 5, msg);

		f = flow_new();
		feed_steps(f, 0, ch.b, (uint32_t)ch.n, 1460);
		if (msg <= 16384) {
			assert_int_equal(f->stopped, 0);
			assert_int_equal(f->cap.ended, 1);
			assert_true(f->tail_peak <= 16384);
		} else {
			assert_int_equal(f->last, FC_L7_ERROR);
			assert_string_equal(f->error, "client_hello longer than 16384 bytes");
		}
		flow_free(f);

		if (msg == 16379 || msg == 16384) {
			size_t sz[1] = { 8000 };

			reframe(&rf, ch.b, ch.n, sz, 1);
			f = flow_new();
			feed_steps(f, 0, rf.b, (uint32_t)rf.n, 1460);
			if (msg == 16379) {
				assert_int_equal(f->stopped, 0);
				assert_int_equal(f->cap.ended, 1);
				assert_true(f->tail_peak > 14000 && f->tail_peak <= 16384);
			} else {
				assert_int_equal(f->last, FC_L7_ERROR);
				assert_string_equal(f->error, "hello fragmented over too many records");
			}
			flow_free(f);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Fingerprints                                                        */

/*
 * The JA4 specification's own example (FoxIO technical_details/JA4.md):
 * 15 ciphers, 16 extensions, ALPN h2, the listed signature algorithms
 * -> t13d1516h2_8daaf6152771_e5627efa2ab1, here with GREASE added to
 * every list (ciphers, extensions, groups, versions, signature
 * algorithms, key shares), which JA3 and JA4 ignore and the raw lists
 * keep. With an empty signature algorithm list the hash is the
 * specification's 6d807ffa2a79 (no underscore).
 */
static void
test_tls_ja4_spec_example_grease(void **state)
{
	static const uint16_t ciphers[] = {
		0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
		0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
	};
	static const uint16_t sig[] = {
		0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x8a8a,
	};
	static const uint16_t versions[] = { 0x3a3a, 0x0304, 0x0303 };
	static const uint16_t groups[] = { 0x4a4a, 0x001d, 0x0017 };
	static const char *const alpn[] = { "h2", "http/1.1" };
	static const size_t alpn_len[] = { 2, 8 };
	static struct bb e, ch;
	char buf[2048], md5[33];
	const char *ja3_text;

	(void)state;
	for (int empty_sig = 0; empty_sig < 2; empty_sig++) {
		struct flow *f = flow_new();

		e.n = 0;
		ext_raw(&e, 0x1a1a, NULL, 0);
		ext_raw(&e, 0x001b, "\x02\x00\x02", 3);
		ext_sni(&e, "example.com");
		ext_raw(&e, 0x0033, "\x00\x0a\x4a\x4a\x00\x01\x00\x00\x1d\x00\x01\x07", 12);
		ext_alpn(&e, alpn, alpn_len, 2);
		ext_raw(&e, 0x4469, "\x00\x03\x02h2", 6);
		ext_raw(&e, 0x0017, NULL, 0);
		ext_raw(&e, 0x002d, "\x01\x01", 2);
		ext_list16(&e, 0x000d, 2, sig, empty_sig ? 0 : FC_DIM(sig));
		ext_raw(&e, 0x0005, "\x01\x00\x00\x00\x00", 5);
		ext_raw(&e, 0x0023, NULL, 0);
		ext_raw(&e, 0x0012, NULL, 0);
		ext_list16(&e, 0x002b, 1, versions, FC_DIM(versions));
		ext_raw(&e, 0xff01, "\x00", 1);
		ext_raw(&e, 0x000b, "\x01\x00", 2);
		ext_list16(&e, 0x000a, 2, groups, FC_DIM(groups));
		ext_raw(&e, 0x0015, "\x00\x00\x00", 3);
		ext_raw(&e, 0x2a2a, "\x00", 1);
		build_ch(&ch, 0x0303, ciphers, FC_DIM(ciphers), &e, NULL);
		assert_int_equal(feed(f, 0, ch.b, (uint32_t)ch.n), FC_L7_OK);
		assert_int_equal(f->cap.ended, 1);
		check_fld(&f->cap.ev[0], "ja4",
			  empty_sig ? "t13d1516h2_8daaf6152771_6d807ffa2a79"
				    : "t13d1516h2_8daaf6152771_e5627efa2ab1");
		ja3_text = "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-"
			   "156-157-47-53,27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,"
			   "29-23,0";
		check_fld(&f->cap.ev[0], "ja3_full", ja3_text);
		md5_hex(ja3_text, md5);
		check_fld(&f->cap.ev[0], "ja3", md5);
		check_fld(&f->cap.ev[0], "client_supported_versions", "3a3a,0304,0303");
		check_fld(&f->cap.ev[0], "client_curves", "4a4a,001d,0017");
		check_fld(&f->cap.ev[0], "client_key_share_groups", "4a4a,001d");
		check_fld(&f->cap.ev[0], "ssl_client_exts",
			  "1a1a,001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,"
			  "000b,000a,0015,2a2a");
		assert_non_null(fld(&f->cap.ev[0], "client_ciphers", buf, sizeof(buf)));
		assert_memory_equal(buf, "0a0a,1301", 9);
		flow_free(f);
	}
}

/* JA4 ALPN characters (specification table) and the empty-list rules. */
static void
test_tls_ja4_alpn_and_empty(void **state)
{
	static const struct {
		const char *first;
		size_t len;
		const char *want;
	} alpn[] = {
		{ "h2", 2, "h2" },
		{ "http/1.1", 8, "h1" },
		{ "x", 1, "xx" },
		{ "\xab", 1, "ab" },
		{ "\xab\xcd", 2, "ad" },
		{ "\x30\xab", 2, "3b" },
		{ "\x30\x31\xab\xcd", 4, "3d" },
		{ "\x30\xab\xcd\x31", 4, "01" },
		{ "", 0, "00" },
	};
	static const uint16_t sig[] = { 0x0403 };
	static struct bb e, ch;
	char want_c[13], got[128];
	struct flow *f;

	(void)state;
	for (size_t i = 0; i < FC_DIM(alpn); i++) {
		const char *names[2] = { alpn[i].first, "h2" };
		size_t lens[2] = { alpn[i].len, 2 };

		e.n = 0;
		ext_alpn(&e, names, lens, 2);
		build_ch(&ch, 0x0303, base_ciphers, 3, &e, NULL);
		f = flow_new();
		feed(f, 0, ch.b, (uint32_t)ch.n);
		assert_int_equal(f->cap.ended, 1);
		fld(&f->cap.ev[0], "ja4", got, sizeof(got));
		assert_memory_equal(got + 8, alpn[i].want, 2);
		/* Only the ALPN extension: the extension hash is all zeros. */
		assert_string_equal(got + 23, "_000000000000");
		flow_free(f);
	}
	/* No ALPN, no SNI, no ciphers, one extension without signature algorithms. */
	e.n = 0;
	ext_raw(&e, 0xff01, "\x00", 1);
	build_ch(&ch, 0x0302, NULL, 0, &e, NULL);
	f = flow_new();
	feed(f, 0, ch.b, (uint32_t)ch.n);
	assert_int_equal(f->cap.ended, 1);
	sha256_12("ff01", want_c);
	snprintf(got, sizeof(got), "t11i000100_000000000000_%s", want_c);
	check_fld(&f->cap.ev[0], "ja4", got);
	check_fld(&f->cap.ev[0], "ja3_full", "770,,65281,,");
	check_fld(&f->cap.ev[0], "client_ciphers", "");
	flow_free(f);
	/* No extension block at all: JA3 with empty lists, JA4 c zeros. */
	build_ch(&ch, 0x0300, base_ciphers, 3, NULL, NULL);
	f = flow_new();
	feed(f, 0, ch.b, (uint32_t)ch.n);
	check_fld(&f->cap.ev[0], "ja3_full", "768,4865-49199-47,,,");
	fld(&f->cap.ev[0], "ja4", got, sizeof(got));
	assert_memory_equal(got, "ts3i030000_", 11);
	assert_string_equal(got + 23, "_000000000000");
	check_fld(&f->cap.ev[0], "ssl_client_exts", NULL);
	flow_free(f);
	/* Signature algorithms hashed in wire order after the sorted extensions. */
	e.n = 0;
	ext_list16(&e, 0x000d, 2, sig, 1);
	ext_raw(&e, 0x0005, NULL, 0);
	build_ch(&ch, 0x0303, base_ciphers, 3, &e, NULL);
	f = flow_new();
	feed(f, 0, ch.b, (uint32_t)ch.n);
	sha256_12("0005,000d_0403", want_c);
	fld(&f->cap.ev[0], "ja4", got, sizeof(got));
	assert_string_equal(got + 24, want_c);
	sha256_12("002f,1301,c02f", want_c);
	assert_memory_equal(got + 11, want_c, 12);
	flow_free(f);
	/* Version from supported_versions: unknown highest value -> "00";
	 * a list of GREASE only falls back to the legacy version. */
	{
		static const uint16_t v1[] = { 0x0303, 0x7f1c };
		static const uint16_t v2[] = { 0x0a0a };

		e.n = 0;
		ext_list16(&e, 0x002b, 1, v1, 2);
		build_ch(&ch, 0x0303, base_ciphers, 3, &e, NULL);
		f = flow_new();
		feed(f, 0, ch.b, (uint32_t)ch.n);
		fld(&f->cap.ev[0], "ja4", got, sizeof(got));
		assert_memory_equal(got, "t00i", 4);
		flow_free(f);
		e.n = 0;
		ext_list16(&e, 0x002b, 1, v2, 1);
		build_ch(&ch, 0x0301, base_ciphers, 3, &e, NULL);
		f = flow_new();
		feed(f, 0, ch.b, (uint32_t)ch.n);
		fld(&f->cap.ev[0], "ja4", got, sizeof(got));
		assert_memory_equal(got, "t10i", 4);
		flow_free(f);
	}
}

/*
 * A ClientHello too rich for one session event (350 cipher suites):
 * the message is marked truncated, the long lists are dropped whole, the
 * fingerprints are kept; JA4 counts saturate at 99.
 */
static void
test_tls_message_budget(void **state)
{
	static uint8_t buf[8192];
	struct flow *f = flow_new();
	size_t n = vec_bytes(lots_ch, buf, sizeof(buf));
	char got[256];

	(void)state;
	feed(f, 0, buf, (uint32_t)n);
	assert_int_equal(f->cap.ended, 1);
	assert_int_equal(f->cap.ev[0].truncated, 1);
	check_fld(&f->cap.ev[0], "client_ciphers", NULL);
	check_fld(&f->cap.ev[0], "ja3_full", NULL);
	check_fld(&f->cap.ev[0], "ja3", "b2498734f22ddc9be05c39837ac8ac54");
	fld(&f->cap.ev[0], "ja4", got, sizeof(got));
	assert_memory_equal(got, "t12i9903", 8);
	assert_true(f->cap.ev[0].used <= FC_SESSION_DATA_MAX);
	flow_free(f);
}

/* ------------------------------------------------------------------ */
/* Flow-level behaviour                                                */

/*
 * TLS 1.2: ClientHello, ServerHello, a Certificate spanning two records
 * and two TCP pieces, ServerKeyExchange and ServerHelloDone in one
 * record, client key exchange, CCS, encrypted Finished, a client alert
 * after CCS (encrypted: not decoded), then the server's CCS: both sides
 * encrypted and both hellos seen -> DETACH. Only the pieces of skipped
 * messages that have arrived are consumed (tails stay small).
 */
static void
test_tls12_flow_detach(void **state)
{
	static uint8_t buf[8192];
	static struct bb srv, cli, cert;
	struct flow *f = flow_new();
	size_t n;

	(void)state;
	n = vec_bytes(curl_ch, buf, sizeof(buf));
	assert_int_equal(feed(f, 0, buf, (uint32_t)n), FC_L7_OK);
	n = vec_bytes(curl_sh, buf, sizeof(buf));
	assert_int_equal(feed(f, 1, buf, (uint32_t)n), FC_L7_OK);
	/* Certificate of 3000 body bytes in records of 2000 + rest. */
	cert.n = 0;
	hs_record(&cert, 11, 3000, 0x30);
	{
		size_t sz[1] = { 2000 };

		reframe(&srv, cert.b, cert.n, sz, 1);
	}
	hs_record(&srv, 12, 300, 0x31);
	assert_int_equal(feed_steps(f, 1, srv.b, (uint32_t)srv.n, 1448), FC_L7_OK);
	assert_true(f->tail_peak < 16);
	srv.n = 0;
	hs_record(&srv, 14, 0, 0);
	assert_int_equal(feed(f, 1, srv.b, (uint32_t)srv.n), FC_L7_OK);
	cli.n = 0;
	hs_record(&cli, 16, 70, 0x32);
	record(&cli, 20, 0x0303, &ccs_byte, 1);
	record(&cli, 22, 0x0303, "0123456789012345678901234567890123456789", 40);
	record(&cli, 21, 0x0303, "01234567890123456789012345", 26);
	assert_int_equal(feed(f, 0, cli.b, (uint32_t)cli.n), FC_L7_OK);
	assert_int_equal(f->cap.ended, 2);
	srv.n = 0;
	record(&srv, 20, 0x0303, &ccs_byte, 1);
	assert_int_equal(feed(f, 1, srv.b, (uint32_t)srv.n), FC_L7_DETACH);
	assert_int_equal(f->cap.ended, 2);
	flow_free(f);
}

/*
 * TLS 1.3 (Chrome/Kyber hellos): the server's compatibility CCS does not
 * end parsing, its first application_data record does; the client's CCS
 * and application data then complete the picture -> DETACH.
 */
static void
test_tls13_flow_detach(void **state)
{
	static uint8_t buf[8192];
	static struct bb b;
	struct flow *f = flow_new();
	size_t n;

	(void)state;
	n = vec_bytes(kyber_ch, buf, sizeof(buf));
	assert_int_equal(feed(f, 0, buf, (uint32_t)n), FC_L7_OK);
	n = vec_bytes(kyber_sh, buf, sizeof(buf));
	assert_int_equal(feed(f, 1, buf, (uint32_t)n), FC_L7_OK);
	b.n = 0;
	record(&b, 20, 0x0303, &ccs_byte, 1);
	record(&b, 23, 0x0303, "encrypted-extensions", 20);
	assert_int_equal(feed(f, 1, b.b, (uint32_t)b.n), FC_L7_OK);
	b.n = 0;
	record(&b, 20, 0x0303, &ccs_byte, 1);
	assert_int_equal(feed(f, 0, b.b, (uint32_t)b.n), FC_L7_OK);
	b.n = 0;
	record(&b, 23, 0x0303, NULL, 0);
	assert_int_equal(feed(f, 0, b.b, (uint32_t)b.n), FC_L7_DETACH);
	assert_int_equal(f->cap.ended, 2);
	flow_free(f);
}

/*
 * HelloRetryRequest: the first ServerHello carries the HRR random and a
 * key_share with only a group; after the client's compatibility CCS the
 * second ClientHello and ServerHello are still parsed (TLS 1.3 CCS does
 * not encrypt). Draft versions render as Zeek names them.
 */
static void
test_tls13_hello_retry(void **state)
{
	static const uint16_t ciphers[] = { 0x1301 };
	static const uint16_t v13[] = { 0x0304 };
	static struct bb e, ch, sh, b;
	struct flow *f = flow_new();

	(void)state;
	e.n = 0;
	ext_list16(&e, 0x002b, 1, v13, 1);
	ext_raw(&e, 0x0033, "\x00\x00", 2);
	build_ch(&ch, 0x0303, ciphers, 1, &e, NULL);
	assert_int_equal(feed(f, 0, ch.b, (uint32_t)ch.n), FC_L7_OK);
	e.n = 0;
	ext_raw(&e, 0x002b, "\x03\x04", 2);
	ext_raw(&e, 0x0033, "\x00\x17", 2);
	build_sh(&sh, 0x0303, hrr_random, 0x1301, &e);
	b.n = 0;
	bmem(&b, sh.b, sh.n);
	record(&b, 20, 0x0303, &ccs_byte, 1);
	assert_int_equal(feed(f, 1, b.b, (uint32_t)b.n), FC_L7_OK);
	b.n = 0;
	record(&b, 20, 0x0303, &ccs_byte, 1);
	bmem(&b, ch.b, ch.n);
	assert_int_equal(feed(f, 0, b.b, (uint32_t)b.n), FC_L7_OK);
	e.n = 0;
	ext_raw(&e, 0x002b, "\x7f\x17", 2);
	ext_raw(&e, 0x0033, "\x00\x17\x00\x02" "ab", 6);
	build_sh(&sh, 0x0303, NULL, 0x1234, &e);
	assert_int_equal(feed(f, 1, sh.b, (uint32_t)sh.n), FC_L7_OK);
	assert_int_equal(f->cap.ended, 4);
	check_fld(&f->cap.ev[1], "hello_retry_request", "true");
	check_fld(&f->cap.ev[1], "curve", "secp256r1");
	check_fld(&f->cap.ev[1], "version", "TLSv13");
	assert_int_equal(f->cap.ev[2].kind, 0);
	check_fld(&f->cap.ev[3], "hello_retry_request", NULL);
	check_fld(&f->cap.ev[3], "version", "TLSv13-draft23");
	check_fld(&f->cap.ev[3], "cipher", "unknown-0x1234");
	flow_free(f);
}

/*
 * Alerts: two in one record (fatal handshake_failure, then level 3 with
 * an unassigned description), delivered one byte at a time; after CCS
 * an alert record is encrypted and not decoded.
 */
static void
test_tls_alerts(void **state)
{
	static struct bb b;
	struct flow *f = flow_new();

	(void)state;
	b.n = 0;
	record(&b, 21, 0x0303, "\x02\x28\x03\xc8", 4);
	assert_int_equal(feed_steps(f, 1, b.b, (uint32_t)b.n, 1), FC_L7_OK);
	assert_int_equal(f->cap.ended, 2);
	check_fld(&f->cap.ev[0], "level", "fatal");
	check_fld(&f->cap.ev[0], "description", "handshake_failure");
	check_fld(&f->cap.ev[1], "level", "unknown-3");
	check_fld(&f->cap.ev[1], "description", "unknown-200");
	assert_int_equal(f->cap.ev[1].side, 1);
	b.n = 0;
	record(&b, 20, 0x0303, &ccs_byte, 1);
	record(&b, 21, 0x0303, "\x01\x00\x99", 3);
	assert_int_equal(feed(f, 1, b.b, (uint32_t)b.n), FC_L7_OK);
	assert_int_equal(f->cap.ended, 2);
	flow_free(f);
}

/* JSON rendering through the registry (fc_l7_session_json). */
static void
test_tls_json(void **state)
{
	static uint8_t buf[8192];
	struct flow *f = flow_new();
	char out[4096];
	size_t n;
	int len;

	(void)state;
	assert_ptr_equal(fc_l7_parser_by_name("tls"), &fc_l7_tls);
	n = vec_bytes(curl_ch, buf, sizeof(buf));
	feed(f, 0, buf, (uint32_t)n);
	n = vec_bytes(ipv6_sh, buf, sizeof(buf));
	feed(f, 1, buf, (uint32_t)n);
	len = fc_l7_session_json(&f->cap.ev[0], out, sizeof(out));
	assert_true(len > 0);
	assert_non_null(strstr(out, "\"kind\":\"client_hello\",\"client_version\":\"TLSv12\","
				    "\"server_name\":\"www.ntop.org\",\"ja3\":"
				    "\"2a26b1a62e40d25d4de3babc9d532f30\""));
	assert_non_null(strstr(out, "\"alpn\":[\"h2\",\"http/1.1\"]"));
	len = fc_l7_session_json(&f->cap.ev[1], out, sizeof(out));
	assert_true(len > 0);
	assert_string_equal(out, "\"kind\":\"alert\",\"level\":\"warning\","
				 "\"description\":\"unrecognized_name\"");
	len = fc_l7_session_json(&f->cap.ev[2], out, sizeof(out));
	assert_true(len > 0);
	{
		const char *want = "\"kind\":\"server_hello\",\"version\":\"TLSv12\",\"cipher\":"
				   "\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\",";

		assert_memory_equal(out, want, strlen(want));
	}
	flow_free(f);
}

/*
 * Gaps: inside application data and inside the body of a skipped
 * Certificate they are absorbed; inside a hello (ndpi-tls_missing_ch_frag:
 * the second ClientHello segment is missing), across a record boundary,
 * or at a record header the parser detaches.
 */
static void
test_tls_gaps(void **state)
{
	static uint8_t buf[8192];
	static struct bb b;
	struct flow *f;
	size_t n;

	(void)state;
	f = flow_new();
	n = vec_bytes(curl_ch, buf, sizeof(buf));
	feed(f, 0, buf, 300);
	assert_int_equal(fc_l7_tls.gap(f->state, 0, 481), FC_L7_DETACH);
	flow_free(f);

	f = flow_new();
	b.n = 0;
	hs_record(&b, 11, 3000, 0x30);
	feed(f, 1, b.b, 1000);
	assert_int_equal(fc_l7_tls.gap(f->state, 1, 1000), FC_L7_OK);
	assert_int_equal(feed(f, 1, b.b + 2000, (uint32_t)b.n - 2000), FC_L7_OK);
	assert_int_equal(fc_l7_tls.gap(f->state, 1, 5), FC_L7_DETACH);
	flow_free(f);

	f = flow_new();
	b.n = 0;
	record(&b, 23, 0x0303, buf, 1000);
	feed(f, 0, b.b, 105);
	assert_int_equal(fc_l7_tls.gap(f->state, 0, 0), FC_L7_OK);
	assert_int_equal(fc_l7_tls.gap(f->state, 0, 800), FC_L7_OK);
	assert_int_equal(feed(f, 0, b.b + 905, 100), FC_L7_OK);
	assert_int_equal(fc_l7_tls.gap(f->state, 0, 100), FC_L7_DETACH);
	flow_free(f);

	f = flow_new();
	b.n = 0;
	hs_record(&b, 11, 100, 0x30);
	record(&b, 22, 0x0303, "\x0c\x00\x00\x01\x00", 5);
	feed(f, 1, b.b, 50);
	/* 60 bytes would reach past the certificate into the next message. */
	assert_int_equal(fc_l7_tls.gap(f->state, 1, 60), FC_L7_DETACH);
	flow_free(f);
	(void)n;
}

/* begin() refusing (no room): state still advances to DETACH. */
static void
test_tls_no_room(void **state)
{
	static uint8_t buf[8192];
	static struct bb b;
	struct flow *f = flow_new();
	size_t n;

	(void)state;
	f->cap.refuse = 1;
	n = vec_bytes(ipv6_ch, buf, sizeof(buf));
	assert_int_equal(feed(f, 0, buf, (uint32_t)n), FC_L7_OK);
	n = vec_bytes(ipv6_sh, buf, sizeof(buf));
	assert_int_equal(feed(f, 1, buf, (uint32_t)n), FC_L7_OK);
	b.n = 0;
	record(&b, 20, 0x0303, &ccs_byte, 1);
	assert_int_equal(feed(f, 0, b.b, (uint32_t)b.n), FC_L7_OK);
	assert_int_equal(feed(f, 1, b.b, (uint32_t)b.n), FC_L7_DETACH);
	assert_int_equal(f->cap.begun, 0);
	flow_free(f);
}

/* probe(): record header + handshake type, per side. */
static void
test_tls_probe(void **state)
{
	static const struct {
		const char *p;
		uint32_t len;
		uint8_t side;
		enum fc_l7_probe want;
	} cases[] = {
		{ "", 0, 0, FC_L7_PROBE_MAYBE },
		{ "\x16", 1, 0, FC_L7_PROBE_MAYBE },
		{ "\x16\x03\x01\x02", 4, 0, FC_L7_PROBE_MAYBE },
		{ "\x16\x03\x01\x02\x00", 5, 0, FC_L7_PROBE_MAYBE },
		{ "\x16\x03\x01\x02\x00\x01", 6, 0, FC_L7_PROBE_YES },
		{ "\x16\x03\x01\x02\x00\x01", 6, 1, FC_L7_PROBE_YES },
		{ "\x16\x03\x03\x00\x50\x02", 6, 1, FC_L7_PROBE_YES },
		{ "\x16\x03\x03\x00\x50\x02", 6, 0, FC_L7_PROBE_NO },
		{ "\x16\x03\x03\x00\x50\x0b", 6, 1, FC_L7_PROBE_NO },
		{ "\x17\x03\x03\x00\x50\x01", 6, 0, FC_L7_PROBE_NO },
		{ "GET / HTTP/1.1\r\n", 16, 0, FC_L7_PROBE_NO },
		{ "\x16\x02", 2, 0, FC_L7_PROBE_NO },
		{ "\x16\x03\x05", 3, 0, FC_L7_PROBE_NO },
		{ "\x16\x03\x01\x00\x00\x01", 6, 0, FC_L7_PROBE_NO },
		{ "\x16\x03\x01\x48\x01\x01", 6, 0, FC_L7_PROBE_NO },
		{ "\x16\x03\x01\x48\x00\x01", 6, 0, FC_L7_PROBE_YES },
		{ "\x80\x2e\x01\x03\x01", 5, 0, FC_L7_PROBE_NO },
	};

	(void)state;
	for (size_t i = 0; i < FC_DIM(cases); i++)
		assert_int_equal(fc_l7_tls.probe((const uint8_t *)cases[i].p, cases[i].len,
						 cases[i].side), cases[i].want);
}

/* The descriptor: identity, sizes, tables. */
static void
test_tls_descriptor(void **state)
{
	(void)state;
	assert_string_equal(fc_l7_tls.name, "tls");
	assert_int_equal(fc_l7_tls.proto, FC_L7_TLS);
	assert_int_equal(fc_l7_tls.transport, 6);
	assert_true(fc_l7_tls.n_ports >= 1 && fc_l7_tls.ports[0] == 443);
	assert_true(fc_l7_tls.state_size > 0 && fc_l7_tls.state_size <= 64);
	assert_int_equal(fc_l7_tls.max_tail, FC_L7_TAIL_MAX);
	assert_int_equal(fc_l7_tls.n_kinds, 3);
	assert_string_equal(fc_l7_tls.kinds[0], "client_hello");
	assert_string_equal(fc_l7_tls.kinds[1], "server_hello");
	assert_string_equal(fc_l7_tls.kinds[2], "alert");
	for (unsigned int i = 0; i < fc_l7_tls.n_fields; i++) {
		assert_non_null(fc_l7_tls.fields[i].name);
		assert_true(fc_l7_tls.fields[i].type >= FC_L7_T_STR &&
			    fc_l7_tls.fields[i].type <= FC_L7_T_BOOL);
	}
	assert_non_null(fc_l7_tls.probe);
	assert_non_null(fc_l7_tls.parse);
	assert_non_null(fc_l7_tls.gap);
	assert_non_null(fc_l7_tls.end);
	fc_l7_tls.end(NULL, 1, 0, NULL);
}

/*
 * Seeded random mutations of a whole TLS 1.2 exchange (1-4 bytes changed,
 * random piece sizes): never a crash, an out-of-bounds read or an
 * oversized tail; ERROR always comes with a reason.
 */
static void
test_tls_mutations(void **state)
{
	static uint8_t cli[8192], srv[8192], mc[8192], ms[8192];
	size_t nc = vec_bytes(kyber_ch, cli, sizeof(cli));
	size_t ns = vec_bytes(curl_sh, srv, sizeof(srv));
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (int it = 0; it < 1500; it++) {
		struct flow *f = flow_new();
		size_t oc = 0, os = 0;

		memcpy(mc, cli, nc);
		memcpy(ms, srv, ns);
		for (int k = 0; k < 1 + it % 4; k++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			if (x >> 63)
				mc[(x >> 20) % nc] ^= (uint8_t)(1 + ((x >> 8) & 0xfe));
			else
				ms[(x >> 20) % ns] = (uint8_t)(x >> 12);
		}
		while ((oc < nc || os < ns) && !f->stopped) {
			size_t step;

			x = x * 6364136223846793005ull + 1442695040888963407ull;
			step = 1 + (x >> 33) % 700;
			if (oc < nc && ((x >> 7) & 1)) {
				step = step > nc - oc ? nc - oc : step;
				feed(f, 0, mc + oc, (uint32_t)step);
				oc += step;
			} else if (os < ns) {
				step = step > ns - os ? ns - os : step;
				feed(f, 1, ms + os, (uint32_t)step);
				os += step;
			}
		}
		flow_free(f);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_descriptor),
		cmocka_unit_test(test_tls_probe),
		cmocka_unit_test(test_tls_corpus_vectors),
		cmocka_unit_test(test_tls_corpus_details),
		cmocka_unit_test(test_tls_ch_tcp_segments),
		cmocka_unit_test(test_tls_split_every_point),
		cmocka_unit_test(test_tls_byte_at_a_time),
		cmocka_unit_test(test_tls_truncation_every_byte),
		cmocka_unit_test(test_tls_hello_across_records),
		cmocka_unit_test(test_tls_record_errors),
		cmocka_unit_test(test_tls_hello_length_errors),
		cmocka_unit_test(test_tls_server_hello_errors),
		cmocka_unit_test(test_tls_hello_size_limits),
		cmocka_unit_test(test_tls_ja4_spec_example_grease),
		cmocka_unit_test(test_tls_ja4_alpn_and_empty),
		cmocka_unit_test(test_tls_message_budget),
		cmocka_unit_test(test_tls12_flow_detach),
		cmocka_unit_test(test_tls13_flow_detach),
		cmocka_unit_test(test_tls13_hello_retry),
		cmocka_unit_test(test_tls_alerts),
		cmocka_unit_test(test_tls_json),
		cmocka_unit_test(test_tls_gaps),
		cmocka_unit_test(test_tls_no_room),
		cmocka_unit_test(test_tls_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
