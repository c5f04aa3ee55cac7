"""The words of other languages than English that the check of forms (``elicitation``) reads: for
a secret (German, French, Spanish, Portuguese, Italian, Dutch, Japanese, Chinese, Korean and
Russian words for a password, an API key, an access token, a PIN, a one-time code, a recovery
phrase), for asking for one, for a warning against giving one, and for what is about one and
not one (its name, length, policy, count; "Passwort vergessen?").

The words are written as they read and matched on text as ``native`` spells it (accents and
marks left out, case folded), so the expressions are built from the words by the same
function. In a word list, words are separated by "|"; a space inside an item stands for any
run of spaces, hyphens, underscores and apostrophes ("mot de passe", "mot-de-passe",
"mot_de_passe", "motdepasse"); a word of a Latin or Cyrillic script ends where a letter does not
follow (after a plural "s"), or after up to three more letters when it ends with "*" (an
inflection: "пароля", "geheimer"), and may be left out when it ends with "?" (a preposition:
"token de acceso", "token_acceso"); one that begins with "~" may end a longer word (a German or
Dutch compound: "Einmalpasswort", "WLAN-Passwort"), while a compound that goes on ("Passwortlänge",
"Schlüsselwort") is another word. Words of the scripts written without spaces (Japanese,
Chinese, Korean) have no bounds: what comes after them is read for what qualifies them."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from mcpward._regex import compiled

#: A field's, a title's or a message's word for a secret.
CREDENTIALS = (
    # German
    "~passwort*|~kennwort*|zugangsdaten|anmeldedaten|api schlüssel*|~apischlüssel*|api schluessel*"
    "|~apischluessel*|~zugangsschlüssel*|~zugangscode*|tan|sms tan|push tan|mobile tan"
    "|~zugriffsschlüssel*|geheim* schlüssel*|privat* schlüssel*|~zugriffstoken*|~zugangstoken*|pin code*"
    "|~pincode*|geheimzahl|~einmalcode*|~bestätigungscode*|~verifizierungscode*|~sicherheitscode*"
    "|~smscode*|~smstan*|persönlich* token*|persönlich* zugriffstoken*|~wiederherstellungsphrase*"
    "|~wiederherstellungscode*|~wiederherstellungsschlüssel*|~anmeldecode*"
    # French
    "|mot* de passe*|mdp|code* secret*|clé* d? api|clé* secrète*|clé* privée*|clé* d? accès|code* d? accès"
    "|jeton*|code* pin|code* sms|code* reçu* par sms|code* par sms|code* confidentiel*|code* à usage unique"
    "|code* de? vérification|code* de? sécurité"
    "|phrase* de récupération|phrase* secrète*|identifiants de connexion"
    # Spanish
    "|contraseña*|clave* de? acceso|clave* de? la? api|clave* secreta*|clave* privada*|tu clave|su clave"
    "|token* de? acceso|código* pin|código* de? verificación|código* de? seguridad|código* de? acceso"
    "|código* de un solo uso|código* sms|código* por sms|código* de autenticación|token* personal"
    "|frase* de recuperación|frase* semilla|credenciales"
    # Portuguese
    "|senha*|chave* de? api|chave* secreta*|chave* privada*|chave* de? acesso|token* de? acesso"
    "|código* de? verificação|código* de? segurança|código* de? acesso"
    "|código* de uso único|token* pessoal|frase* de recuperação"
    "|frase* semente|credenciais"
    # Italian
    "|parola* d ordine|chiave* api|chiave* segreta*|chiave* privata*|chiave* di? accesso|token* di? accesso"
    "|codice* pin|codice* di? verifica|codice* di? sicurezza|codice* di? accesso"
    "|codice* monouso|codice* sms|token* personale|password monouso"
    "|frase* di recupero|credenziali"
    # Dutch
    "|~wachtwoord*|~toegangscode*|api sleutel*|~apisleutel*|geheime sleutel*|privé sleutel*"
    "|~privésleutel*|~toegangstoken*|eenmalige code*|~verificatiecode*|~beveiligingscode*|~herstelzin*"
    "|~herstelcode*|~smscode*|persoonlijk* token*|~herstelfrase*|inloggegevens"
    # Japanese
    "|パスワード|パスコード|暗証番号|api キー|アクセストークン|トークン|秘密鍵|シークレット|pin コード"
    "|ワンタイムコード|確認コード|認証コード|検証コード|セキュリティコード|アクセスコード|リカバリーフレーズ|復元フレーズ"
    "|シードフレーズ|認証情報"
    # Chinese, simplified and traditional
    "|密码|密碼|口令|密钥|密鑰|秘钥|令牌|权杖|權杖|pin 码|pin 碼|验证码|驗證碼|校验码|动态码"
    "|動態碼|访问码|助记词"
    "|助記詞|恢复短语|恢復短語|私钥|私鑰|安全码|安全碼|凭据|憑據|凭证|憑證"
    # Korean
    "|비밀번호|비번|패스워드|암호|api 키|액세스 토큰|토큰|비밀 키|개인 키|시크릿 키|pin 번호"
    "|핀 번호|인증 코드"
    "|인증 번호|확인 코드|보안 코드|접근 코드|일회용 코드|복구 문구|시드 문구|니모닉"
    # Russian
    "|парол*|api ключ*|ключ* api|апи ключ*|секретн* ключ*|закрыт* ключ*|приватн* ключ*|ключ* доступа"
    "|токен*|пин код*|pin код*|одноразов* код*|код* подтверждения|код* из смс|код* проверки|код* доступа"
    "|смс код*|персональн* токен*"
    "|код* безопасности|фраз* восстановления|сид фраз*|мнемоническ* фраз*|учетн* данн*"
)

#: A code named by its length ("6-stelliger Code", "código de 6 dígitos", "6桁のコード",
#: "6자리 코드", "6-значный код"): what an authenticator app or a text message shows.
DIGIT_CODE = (
    r"\d[\s-]*(?:stellig\w{0,3}[\s-]+code|cijferig\w{0,2}[\s-]+code|桁の?コード|자리[\s-]*코드"
    r"|значн\w{0,3}[\s-]+код|位数?(?:验证|驗證)?[码碼])"
    r"|(?<![^\W\d_])(?:code|codes|código|códigos|codigo|codice|codici|код)[\s-]+(?:de|à|a|di|из)[\s-]+\d[\s-]*"
    r"(?:chiffres|digitos|cifre|цифр)"
)

#: Words that ask the reader to give something (a verb of entering, pasting, giving; "what is
#: your ..."; "is required").
ASKING = (
    # German
    "gib*|geben|eingeben|einfügen|füge|fügen|tippe|tippen|teile|teilen|nenne|nennen|bestätige*"
    "|angeben|übermittle*|sende|senden|schicke*|trage|tragen|kopiere*|lautet|benötig*|brauche*"
    "|erforderlich|notwendig|bestätigen|wiederholen"
    # French
    "|entrez|entrer|saisissez|saisir|saisis|saisie|collez|coller|colle|indiquez|indiquer|fournissez"
    "|fournir|donnez|donner|tapez|taper|confirmez|renseignez|renseigner|communiquez|partagez|envoyez"
    "|quel est|quelle est|besoin|requis|requise|obligatoire|confirmer|ressaisir|retaper"
    # Spanish
    "|introduce|introduzca|introducir|ingresa|ingrese|ingresar|escribe|escriba|pega|pegue|pegar"
    "|proporciona|proporcione|indica|indique|facilita|facilite|comparte|comparta|confirma|confirme"
    "|envía|envíe|necesitamos|cuál es|dinos|requerid*|necesari*|obligatori*|confirmar|escribir|reescribir"
    # Portuguese
    "|digite|digita|insira|inserir|informe|informar|cole|colar|forneça|fornecer|envie|compartilhe"
    "|introduza|precisamos|qual é|obrigatóri*|escrever|digitar"
    # Italian
    "|inserisci|inserire|inserisca|immetti|immettere|digitare|incolla|incollare|fornisci|fornire"
    "|condividi|conferma|confermare|scrivi|scrivere|reinserire|qual è|bisogno|richiest*|obbligatori*"
    # Dutch
    "|voer|vul|plak|plakken|geef|geven|deel|typ|bevestig|bevestigen|herhaal|herhalen|invoeren|wat is|nodig"
    "|vereist|verplicht"
    # Japanese, Chinese, Korean
    "|入力|貼り付け|貼りつけ|貼付|ペースト|教えて|送信|提供|記入|入れて|確認|必要|必須|输入|輸入|粘贴|粘貼"
    "|贴上|貼上|填写|填寫|告诉|告訴|发送|發送|确认|键入|鍵入|填入|需要|必须|입력|붙여넣|붙여 넣|알려|제공"
    "|적어|보내|확인|필요|필수"
    # Russian
    "|введите|ввести|вводите|вставьте|вставить|укажите|указать|сообщите|сообщить|предоставьте"
    "|отправьте|пришлите|подтвердите|подтвердить|повторите|напишите|назовите|скопируйте|требуется|необходим*|нужен|нужна"
    # "please" ("Ihr Passwort bitte", "Votre code PIN, s'il vous plaît")
    "|bitte|s il vous plaît|por favor|per favore|alstublieft|пожалуйста|ください|请|請|주세요|주십시오"
)

#: English words that ask, for a word of another language ("Please enter your Passwort"; an
#: English credential's word is read by the English check, which knows what else is asked).
ASKING_IN_ENGLISH = "enter|paste|type|provide|give|share|submit|please|input|what is"

#: Words that make a clause a warning against giving one ("Ne partagez jamais votre mot de
#: passe", "パスワードは絶対に入力しないでください").
AGAINST = "nie|niemals|nicht|kein*|ne|jamais|nunca|no|não|non|mai|niet|nooit|geen|не|никогда|нельзя"

#: The same in the languages that say it after the secret and the verb ("パスワードは絶対に入力
#: しないでください", "비밀번호는 절대 입력하지 마세요"); the others say it before the secret
#: ("Nunca compartas tu contraseña"), and one after it is about something else ("Introduce tu
#: contraseña o no podrás continuar").
AGAINST_AFTER = "ないで|絶対|決して|不要|请勿|請勿|切勿|不得|禁止|절대|마세요|마십시오|않"

#: What is about a credential, not one: its name, length, policy, count...; "without" one;
#: a forgotten one; a minimum or maximum (words of every language here, and English ones,
#: which the others borrow).
ABOUT = (
    "name*|label*|length*|polic*|count*|limit*|type*|expir*|scope*|rule*|manager*|reset*|hint*"
    "|format*|usage|strength|requirement*|path*|file*|forgot*|protected"
    "|rotat*|revok*|delet*|colou*|map|date*|description*|expiration*|area|region*|district*|city"
    "|locality|location*|address*|postal|delivery|zip"
    # a token of a blockchain or a game: its address, contract, balance, symbol, amount, price
    "|contract*|balance*|symbol*|amount*|price*|supply|decimals|adresse*|vertrag*|kontostand|betrag*"
    "|menge*|preis*|montant*|solde*|prix|symbole*|dirección|direccion|contrato*|saldo*|símbolo*"
    "|cantidad*|precio*|endereço*|quantia*|preço*|indirizzo*|contratto*|importo*|prezzo*|adres"
    "|bedrag*|prijs*"
    # German
    "|namen|bezeichnung*|länge*|laenge*|richtlinie*|regel*|anforderung*|stärke*|staerke*"
    "|ablauf*|datum*|beschreibung*|gültigkeit*|gueltigkeit*|anzahl|zahl|typ*|pfad*|datei*|verwaltung*"
    "|hinweis*"
    "|zurücksetz*|zuruecksetz*|vergessen|geschützt*|geschuetzt*|nutzung*|verbrauch*|speicher*"
    "|tresor*|farbe*|karte*|rotier*|widerruf*|lösch*|verbraucht*"
    # French
    "|nom*|libellé*|longueur*|politique*|règle*|exigence*|nombre*|durée*|chemin*|fichier*|expiration*"
    "|gestionnaire*|réinitialis*|oubli*|protégé*|utilisation*|consommation*|force|couleur*|carte*"
    "|révoqu*|supprim*|renouvel*"
    # Spanish, Portuguese, Italian
    "|longitud*|política*|regla*|requisito*|número*|cantidad*|validez|caducidad|ruta*|archivo*|fecha*"
    "|descripción|descrição|descrizione|data"
    "|gestor*|restablec*|olvid*|olvidaste|olvidó|protegid*|uso|consumo|tamanho*|comprimento*|regra*"
    "|quantidade*|mapa*|revoca*|revoga*|elimin*|exclu*|cor|mappa*|colore*"
    "|validade*|expiração*|caminho*|arquivo*|gerenciador*|redefini*|esquec*|sem|lunghezza*|criteri*"
    "|regol*|requisit*|numero*|quantità|scadenza*|durata*|percorso*|gestore*|reimposta*|dimenticat*"
    "|protett*"
    # Dutch
    "|naam*|lengte*|beleid*|eis*|vereiste*|aantal*|limiet*|vervaldatum*|geldigheid*|pad*|bestand*"
    "|beheerder*|herstel*|vergeten|beveiligd*|kleur*|kaart*|intrekk*|verwijder*|beschrijving*"
)

#: Words about a credential that need no "of" before it: Russian ones, which put it in the
#: genitive ("длина пароля"), and "without" ("sans mot de passe", "ohne Passwort").
ABOUT_WITHOUT_OF = (
    "имя|имени|назван*|описан*|срок* действия|дат*|длин*|политик*|правил*|требован*|количеств*|числ*"
    "|лимит*|тип*|срок*|путь"
    "|пути|файл*|менеджер*|сброс*|восстановлен*|забыл*|защищ*|без"
    "|использован*|расход*|цвет*|карт*|отозва*|удал*|адрес*|контракт*|баланс*|символ*|сумм*|цен*"
    "|without|sans|ohne|sin|sem|senza|zonder"
)

#: What may follow a secret's word in a title that is its name: what it is of or for, where it
#: came from ("Frase de recuperación *de la billetera*", "Code à usage unique *reçu par SMS*"),
#: that it is the current or a new one, or asked again; not a clause that says something of it
#: ("Ihr Passwort *bleibt* auf Ihrem Gerät").
STILL_ITS_NAME = (
    "de|du|des|d|da|do|das|dos|di|del|della|dello|von|vom|der|für|pour|para|per|van|voor|of|for|from"
    "|to|on|in|at|with|par|por|via|aus|из|для|от|на|reçu*|envoy*|recibid*|enviad*|ricevut*|inviat*"
    "|erhalten*|gesendet*|ontvangen|verzonden|получен*|отправлен*|bitte|please|required|erforderlich"
    "|obligatoire|requis*|obligatori*|obrigatóri*|obbligatori*|verplicht|value|wert|valeur|valor|valore"
    "|waarde|значение|actual|actuel*|aktuell*|atual|attuale|huidig*|текущ*|nuev*|neu*|nouve*|nov*|nuov*"
    "|nieuw*|нов*|confirm*|bestätig*|repet*|wiederhol*|herhal*|повтор*|ripet*"
)

#: A minimum or a maximum, before what is about a credential ("longueur *minimale* du mot de
#: passe", "密码*最小*长度"); not about one by itself ("Passwort mindestens 8 Zeichen").
MINIMUM = "min|max|minim*|maxim*|mindest*|massim*|минимальн*|максимальн*|最小|最大|최소|최대|最低|最高"

#: Words between a word about a credential and the credential ("longueur *du* mot de passe",
#: "nome *della* password", "Anzahl *der* Token"): prepositions, articles, possessives.
BETWEEN = (
    "of|the|your|for|by|with|de|du|des|d|la|le|les|l|del|della|dello|delle|dei|degli|di|do|da|dos"
    "|das|van|het|der|die|den|dem|el|los|las|il|lo|o|a|os|as|tu|tus|su|sus|seu|sua|tuo|tua|votre|vos"
    "|ton|ta|uw|je|ihr|ihre|ihres|ihren|durch|mit|met|par|por|con|com|per|pour|para|für|voor|un|une|en|in|em"
    # "Name des *neuen* API-Schlüssels", "le nom de votre *nouveau* jeton"
    "|new|old|current|used|neu*|alt*|aktuell*|verbraucht*|nouve*|nouvel*|ancien*|actuel*|utilisé*|nuev*"
    "|antigu*|actual*|usad*|nov*|atual*|nuov*|vecchi*|attual*|usat*|nieuw*|oud*|huidig*|gebruikt*|нов*"
    "|стар*|текущ*|personal|personnel*|persönlich*|personale|pessoal|persoonlijk*"
)

#: What comes right after a credential's word in Japanese, Chinese or Korean and makes it about
#: one ("パスワードの長さ", "令牌数量", "비밀번호 길이"; "密码学" is cryptography, "암호화" encryption).
ABOUT_AFTER = (
    "長さ|長度|长度|길이|ポリシー|ポリシ|策略|政策|정책|名前|名称|名稱|名|이름|数量|數量|件数|数|數|수|上限"
    "|下限|文字数|マネージャ|管理|관리|リセット|重置|재설정|찾기|を忘れ|忘れ|를 잊|을 잊"
    "|有効期限|期限|过期|過期|만료|学|學|학|化|화|子|形式|格式|형식|类型|類型|種類|유형|保護|保护|보호"
    "|なし|없이|強度|强度|강도|要件|要求|요구|規則|规则|규칙|をお忘れ|お忘れ|地図|地图|지도|色|颜色|顏色|색상"
    "|削除|删除|삭제|無効化|撤销|撤銷|폐기|アドレス|地址|주소|コントラクト|合约|合約|컨트랙트|残高|余额|餘額|잔액"
    "|シンボル|符号|심볼|金額|金额|금액|価格|价格|가격"
)

#: What comes right before a credential's word in Chinese and makes it about one ("忘记密码",
#: "重置密码", "无密码").
ABOUT_BEFORE = "忘记|忘記|重置|修改|更改|找回|没有|沒有|无|無"


#: A field's name that is only "key".
BARE_KEY = "key|schlüssel|clé|clave|chave|chiave|sleutel|ключ|キー|키"

#: A key of another kind, named in a form: a table's, a sort's, a map's, a song's, a keyboard's.
OTHER_KEY = (
    "primary key|foreign key|sort key|partition key|map key|legend|key signature|keyboard|hotkey"
    "|shortcut|registry key|dictionary key|json key|config key|configuration key|header*|query|parameter*"
    "|param*|variable*|tag*|attribute*|propert*|metadata|column*|musical key|melod*|song*|chord*|tonart*"
    "|tonalité*|tonalidad*|tonalità|toonsoort*|тональн*"
)

#: What a form about signing in, unlocking or an API says.
SIGNING_IN = (
    "api|sign in|sign on|signing in|log in|login|logging in|authenticat*|authoriz*|authoris*|authorization"
    "|authorisation|unlock*|decrypt*|wallet*|credential*|anmeld*|connexion|iniciar sesión|accedi|inloggen"
    "|entrar|войти|вход|ログイン|登录|登入|로그인"
)


def _unbounded(word: str) -> bool:
    """Whether ``word`` is of a script written without spaces between words."""
    return any("\u3040" <= char <= "\u9fff" or "\uac00" <= char <= "\ud7af" for char in word)


class _Letters:
    """A trie of the words' first words, letter by letter, with what may follow each (the
    expression is built from it, so that a text is read in one pass: at each place only the
    words that start with its letter are tried)."""

    def __init__(self) -> None:
        self.next: dict[str, _Letters] = {}
        self.then: set[str] = set()

    def add(self, letters: str, then: str) -> None:
        node = self
        for letter in letters:
            node = node.next.setdefault(letter, _Letters())
        node.then.add(then)

    def expression(self) -> str:
        """The longer words first (an alternation takes the first that matches)."""
        branches = [re.escape(letter) + node.expression() for letter, node in sorted(self.next.items())]
        return "(?:" + "|".join(branches + sorted(self.then, key=len, reverse=True)) + ")"


def expression(words: str, native: Callable[[str], str]) -> str:
    """The expression matching any of ``words`` (a word list as described above) in text as
    ``native`` spells it, the longest where several do. A word that must not follow a letter
    is checked right after its first letter, so that each alternative starts with a letter
    (which the expression engine tries first, and skips the rest on)."""
    bounded: dict[str, _Letters] = {}
    free: dict[str, _Letters] = {}
    for item in words.split("|"):
        unbounded = _unbounded(item)
        parts = []
        for word in item.lstrip("~").split(" "):
            spelled = native(word.rstrip("?*"))
            if unbounded or _unbounded(word):
                parts.append((spelled, "", False))
            else:
                inflection = r"\w{0,3}?" if word.rstrip("?").endswith("*") else "s?"
                parts.append((spelled, inflection, word.endswith("?")))
        (first, inflection, _), rest = parts[0], parts[1:]
        then = inflection + "".join(
            rf"(?:[\s'_-]*{re.escape(spelled)}{end})?" if optional else rf"[\s'_-]*{re.escape(spelled)}{end}"
            for spelled, end, optional in rest
        )
        if not unbounded:
            then += r"(?![^\W\d_])"
        trie = bounded if not unbounded and not item.startswith("~") else free
        trie.setdefault(first[0], _Letters()).add(first[1:], then)
    branches = []
    for letter in sorted({*bounded, *free}):
        after = [rf"(?<![^\W\d_].){bounded[letter].expression()}"] if letter in bounded else []
        after += [free[letter].expression()] if letter in free else []
        branches.append(re.escape(letter) + "(?:" + "|".join(after) + ")")
    return "(?:" + "|".join(branches) + ")"


@functools.cache
def word_patterns(native: Callable[[str], str]) -> dict[str, re.Pattern[str]]:
    """The expressions of the word lists, built once (``native`` reads a table of the Unicode
    characters on its first call, a few milliseconds)."""

    def of(words: str) -> str:
        return expression(words, native)

    return {
        # (the code's word spelled as the text is: "コード" without its marks)
        "credential": compiled(f"{of(CREDENTIALS)}|{DIGIT_CODE.replace('コード', native('コード'))}"),
        "asking": compiled(of(ASKING)),
        "asking in english": compiled(of(ASKING_IN_ENGLISH)),
        "still its name": compiled(of(STILL_ITS_NAME)),
        "against": compiled(of(AGAINST)),
        "against after": compiled(of(AGAINST_AFTER)),
        "bare key": compiled(of(BARE_KEY)),
        "signing in": compiled(of(SIGNING_IN)),
        "other key": compiled(of(OTHER_KEY)),
        # "longueur du", "nome della", "Anzahl der": a word about it, then at least one word
        # between (a Romance or Germanic language says "of"); or one that needs none; or a
        # Chinese one ("忘记密码").
        "about before": compiled(
            rf"(?:(?:{of(ABOUT)}|{of(MINIMUM)})(?:[\s'_-]+{of(BETWEEN)}){{1,3}}|{of(ABOUT_WITHOUT_OF)}(?:[\s'_-]+{of(BETWEEN)}){{0,3}}"
            rf"|{of(ABOUT_BEFORE)})[\s'_-]*$"
        ),
        # "Passwort-Richtlinie", "token name"; "パスワードの長さ", "密码长度", "비밀번호의 길이" (in
        # those languages what is of a thing comes after it; "the file's password" is one).
        "about after": compiled(
            rf"[\s'_-]*(?:{of('の|的|의')}[\s'_-]*)?(?:{of(MINIMUM)}[\s'_-]*)?(?:{of(ABOUT)}|{of(ABOUT_AFTER)})"
        ),
    }
