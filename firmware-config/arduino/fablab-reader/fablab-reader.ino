// Fablab badge reader: an RC522 (SPI, MFRC522 library) or a PN532 (I2C, Adafruit PN532
// library) on an Arduino or ESP32, speaking the agent's line protocol at 115200 baud:
//
//   reader → agent:  "UID <HEX>\n"   upper-case hex, 2 digits per byte, while a card is
//                                      in the field (about every 200 ms)
//   agent → reader:  "LED green\n", "LED red\n", "LED off\n", "BEEP <n>\n"
//
// The agent counts one presentation as one tap (a card must be away ~500 ms to count
// again), so repeating while the card is held is expected and makes a tap hard to miss.
// Anything else the agent receives is dropped; anything else this sketch receives is ignored.
//
// Pick the chip below. Wiring: RC522 on the SPI pins with SS=10, RST=9 (Uno/Nano);
// PN532 in I2C mode (both DIP switches as the board's I2C marking says) on SDA/SCL.

#define READER_RC522 1
// #define READER_PN532 1   // comment out READER_RC522 and uncomment this for a PN532

#define PIN_LED_GREEN 5
#define PIN_LED_RED 6
#define PIN_BUZZER 7

#define REPORT_EVERY_MS 200   // repeat period while a card is held
#define BEEP_ON_MS 80
#define BEEP_OFF_MS 80
#define MAX_BEEPS 9

#if defined(READER_RC522)
#include <SPI.h>
#include <MFRC522.h>
#define RC522_SS 10
#define RC522_RST 9
MFRC522 rfid(RC522_SS, RC522_RST);
#elif defined(READER_PN532)
#include <Wire.h>
#include <Adafruit_PN532.h>
Adafruit_PN532 nfc(-1, -1);  // I2C; IRQ and reset not wired
#else
#error "define READER_RC522 or READER_PN532"
#endif

// --- agent → reader: one command per line -------------------------------------------

static char line[24];
static uint8_t lineLength = 0;
static bool discarding = false;  // inside a line too long for the buffer: skip to its end

// --- buzzer without blocking the loop ------------------------------------------------

static uint8_t beepsLeft = 0;
static bool buzzerOn = false;
static unsigned long buzzerSince = 0;

static void startBeeps(int count) {
  if (count < 0) count = 0;
  if (count > MAX_BEEPS) count = MAX_BEEPS;
  beepsLeft = count;
  buzzerOn = false;
  buzzerSince = millis() - BEEP_OFF_MS;  // start at once
}

static void runBuzzer() {
  unsigned long now = millis();
  if (buzzerOn && now - buzzerSince >= BEEP_ON_MS) {
    noTone(PIN_BUZZER);
    buzzerOn = false;
    buzzerSince = now;
  } else if (!buzzerOn && beepsLeft > 0 && now - buzzerSince >= BEEP_OFF_MS) {
    tone(PIN_BUZZER, 2200);
    buzzerOn = true;
    buzzerSince = now;
    beepsLeft--;
  }
}

static void setLeds(bool green, bool red) {
  digitalWrite(PIN_LED_GREEN, green ? HIGH : LOW);
  digitalWrite(PIN_LED_RED, red ? HIGH : LOW);
}

static void handleCommand(const char *command) {
  if (strcmp(command, "LED green") == 0) {
    setLeds(true, false);
  } else if (strcmp(command, "LED red") == 0) {
    setLeds(false, true);
  } else if (strcmp(command, "LED off") == 0) {
    setLeds(false, false);
  } else if (strncmp(command, "BEEP ", 5) == 0) {
    startBeeps(atoi(command + 5));
  }
  // Anything else is ignored: a newer agent may know commands this sketch does not.
}

static void readCommands() {
  while (Serial.available() > 0) {
    char c = (char)Serial.read();
    if (c == '\n' || c == '\r') {
      if (!discarding && lineLength > 0) {
        line[lineLength] = '\0';
        handleCommand(line);
      }
      lineLength = 0;
      discarding = false;
    } else if (discarding) {
      // still inside the over-long line
    } else if (lineLength < sizeof(line) - 1) {
      line[lineLength++] = c;
    } else {
      // Too long to be a command: drop it whole, not just its start.
      lineLength = 0;
      discarding = true;
    }
  }
}

// --- reader → agent -------------------------------------------------------------------

static void printUid(const uint8_t *uid, uint8_t length) {
  Serial.print("UID ");
  for (uint8_t i = 0; i < length; i++) {
    if (uid[i] < 0x10) Serial.print('0');
    Serial.print(uid[i], HEX);  // upper-case
  }
  Serial.print('\n');
}

static unsigned long lastReport = 0;

static void readCard() {
  if (millis() - lastReport < REPORT_EVERY_MS) return;
#if defined(READER_RC522)
  // WakeupA (not IsNewCardPresent) also finds a card that stays in the field after HaltA,
  // so a held card keeps being reported.
  byte atqa[2];
  byte size = sizeof(atqa);
  if (rfid.PICC_WakeupA(atqa, &size) == MFRC522::STATUS_OK && rfid.PICC_ReadCardSerial()) {
    printUid(rfid.uid.uidByte, rfid.uid.size);
    rfid.PICC_HaltA();
    lastReport = millis();
  }
#elif defined(READER_PN532)
  uint8_t uid[10];
  uint8_t uidLength = 0;
  // Short timeout: the loop must keep reading commands and running the buzzer.
  if (nfc.readPassiveTargetID(PN532_MIFARE_ISO14443A, uid, &uidLength, 30) && uidLength > 0) {
    printUid(uid, uidLength);
    lastReport = millis();
  }
#endif
}

void setup() {
  Serial.begin(115200);
  pinMode(PIN_LED_GREEN, OUTPUT);
  pinMode(PIN_LED_RED, OUTPUT);
  pinMode(PIN_BUZZER, OUTPUT);
  setLeds(false, false);
#if defined(READER_RC522)
  SPI.begin();
  rfid.PCD_Init();
#elif defined(READER_PN532)
  nfc.begin();
  if (!nfc.getFirmwareVersion()) {
    // No PN532 answering: blink red so the fault is visible at the machine.
    while (true) {
      setLeds(false, true);
      delay(250);
      setLeds(false, false);
      delay(250);
    }
  }
  nfc.SAMConfig();
#endif
}

void loop() {
  readCommands();
  runBuzzer();
  readCard();
}
