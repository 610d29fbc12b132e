"""What the XML signatures do not say: which enum a number is, and the type of
each documented key of an a{sv} property (from the XML's documentation text).
dbusvalue.to_dbus reads these so scenarios can write mmcli nicks ("registered",
["lte"]) and plain JSON numbers inside dictionaries."""

from dbusvalue import V

MM = 'org.freedesktop.ModemManager1'
MODEM = MM + '.Modem'
MODEM_3GPP = MODEM + '.Modem3gpp'
SIGNAL = MODEM + '.Signal'
LOCATION = MODEM + '.Location'
MESSAGING = MODEM + '.Messaging'
SIMPLE = MODEM + '.Simple'
SIM = MM + '.Sim'
BEARER = MM + '.Bearer'
SMS = MM + '.Sms'

# Scenario section name -> modem interface. A section's keys are the snake_case
# spelling of the interface's property names (SignalQuality -> signal_quality).
SECTIONS = {
    '3gpp': MODEM_3GPP, 'signal': SIGNAL, 'location': LOCATION, 'messaging': MESSAGING,
    'simple': SIMPLE, 'time': MODEM + '.Time', 'firmware': MODEM + '.Firmware',
    'cdma': MODEM + '.ModemCdma', 'ussd': MODEM_3GPP + '.Ussd', 'oma': MODEM + '.Oma',
    'voice': MODEM + '.Voice', 'sar': MODEM + '.Sar',
    'profile_manager': MODEM_3GPP + '.ProfileManager',
}

_IP_CONFIG = {'method': V('u', 'MMBearerIpMethod'), 'address': V('s'), 'prefix': V('u'),
              'dns1': V('s'), 'dns2': V('s'), 'dns3': V('s'), 'gateway': V('s'), 'mtu': V('u')}
_BEARER_PROPERTIES = {
    'apn': V('s'), 'ip-type': V('u', 'MMBearerIpFamily'), 'apn-type': V('u', 'MMBearerApnType'),
    'allowed-auth': V('u', 'MMBearerAllowedAuth'), 'user': V('s'), 'password': V('s'),
    'access-type-preference': V('u', 'MMBearerAccessTypePreference'),
    'roaming-allowance': V('u', 'MMBearerRoamingAllowance'), 'profile-id': V('i'),
    'profile-name': V('s'), 'profile-enabled': V('b'),
    'profile-source': V('u', 'MMBearerProfileSource'), 'rm-protocol': V('u', 'MMModemCdmaRmProtocol'),
    'allow-roaming': V('b'), 'multiplex': V('u', 'MMBearerMultiplexSupport'), 'number': V('s'),
}


def _doubles(*keys):
    return {k: V('d') for k in keys}


HINTS = {
    MODEM: {
        'SupportedCapabilities': 'MMModemCapability', 'CurrentCapabilities': 'MMModemCapability',
        'Ports': (None, 'MMModemPortType'), 'UnlockRequired': 'MMModemLock',
        'UnlockRetries': ('MMModemLock', None), 'State': 'MMModemState',
        'StateFailedReason': 'MMModemStateFailedReason',
        'AccessTechnologies': 'MMModemAccessTechnology', 'PowerState': 'MMModemPowerState',
        'SupportedModes': ('MMModemMode', 'MMModemMode'), 'CurrentModes': ('MMModemMode', 'MMModemMode'),
        'SupportedBands': 'MMModemBand', 'CurrentBands': 'MMModemBand',
        'SupportedIpFamilies': 'MMBearerIpFamily',
    },
    MODEM_3GPP: {
        'RegistrationState': 'MMModem3gppRegistrationState',
        'EnabledFacilityLocks': 'MMModem3gppFacility',
        'SubscriptionState': 'MMModem3gppSubscriptionState',
        'EpsUeModeOperation': 'MMModem3gppEpsUeModeOperation',
        'PacketServiceState': 'MMModem3gppPacketServiceState',
        'InitialEpsBearerSettings': _BEARER_PROPERTIES,
        'Nr5gRegistrationSettings': {'mico-mode': V('u', 'MMModem3gppMicoMode'),
                                     'drx-cycle': V('u', 'MMModem3gppDrxCycle')},
    },
    SIGNAL: {
        'Cdma': _doubles('rssi', 'ecio', 'error-rate'),
        'Evdo': _doubles('rssi', 'ecio', 'sinr', 'io', 'error-rate'),
        'Gsm': _doubles('rssi', 'error-rate'),
        'Umts': _doubles('rssi', 'rscp', 'ecio', 'error-rate'),
        'Lte': _doubles('rssi', 'rsrq', 'rsrp', 'snr', 'error-rate'),
        'Nr5g': _doubles('rsrq', 'rsrp', 'snr', 'error-rate'),
    },
    LOCATION: {
        'Capabilities': 'MMModemLocationSource', 'Enabled': 'MMModemLocationSource',
        'SupportedAssistanceData': 'MMModemLocationAssistanceDataType',
        'Location': ('MMModemLocationSource', None),
    },
    MESSAGING: {'SupportedStorages': 'MMSmsStorage', 'DefaultStorage': 'MMSmsStorage'},
    MODEM + '.Time': {'NetworkTimezone': {'offset': V('i'), 'dst-offset': V('i'),
                                          'leap-seconds': V('i')}},
    MODEM + '.ModemCdma': {
        'ActivationState': 'MMModemCdmaActivationState',
        'Cdma1xRegistrationState': 'MMModemCdmaRegistrationState',
        'EvdoRegistrationState': 'MMModemCdmaRegistrationState',
    },
    MODEM_3GPP + '.Ussd': {'State': 'MMModem3gppUssdSessionState'},
    MODEM + '.Oma': {'Features': 'MMOmaFeature', 'SessionType': 'MMOmaSessionType',
                     'SessionState': 'MMOmaSessionState'},
    SIM: {
        'PreferredNetworks': (None, 'MMModemAccessTechnology'), 'SimType': 'MMSimType',
        'EsimStatus': 'MMSimEsimStatus', 'Removability': 'MMSimRemovability',
    },
    BEARER: {
        'Ip4Config': _IP_CONFIG, 'Ip6Config': _IP_CONFIG, 'BearerType': 'MMBearerType',
        'Properties': _BEARER_PROPERTIES,
        'Stats': {'rx-bytes': V('t'), 'tx-bytes': V('t'), 'start-date': V('t'),
                  'duration': V('u'), 'attempts': V('u'), 'failed-attempts': V('u'),
                  'total-rx-bytes': V('t'), 'total-tx-bytes': V('t'), 'total-duration': V('u'),
                  'uplink-speed': V('t'), 'downlink-speed': V('t')},
    },
    SMS: {
        'State': 'MMSmsState', 'PduType': 'MMSmsPduType',
        'Validity': ('MMSmsValidityType', V('u')), 'TeleserviceId': 'MMSmsCdmaTeleserviceId',
        'ServiceCategory': 'MMSmsCdmaServiceCategory', 'DeliveryState': 'MMSmsDeliveryState',
        'Storage': 'MMSmsStorage',
    },
}

# Friendlier scenario keys for a few properties whose D-Bus names hide what they are.
ALIASES = {SIM: {'iccid': 'SimIdentifier'}}

# Modem.GetCellInfo's aa{sv}: every key ModemManager documents (1.20), plus
# serving-cell-type (MMServingCellType, not in 1.20's headers: pcell 1,
# scell 2, pscell 3, sscell 4) and bandwidth of 1.22.
CELL_INFO = {
    'cell-type': V('u', 'MMCellType'), 'serving': V('b'), 'operator-id': V('s'),
    'lac': V('s'), 'tac': V('s'), 'ci': V('s'), 'physical-ci': V('s'), 'base-station-id': V('s'),
    'nid': V('s'), 'sid': V('s'), 'ref-pn': V('s'), 'pilot-strength': V('u'),
    'timing-advance': V('u'), 'arfcn': V('u'), 'rx-level': V('u'), 'frequency-fdd-ul': V('u'),
    'frequency-fdd-dl': V('u'), 'frequency-tdd': V('u'), 'uarfcn': V('u'), 'psc': V('u'),
    'rscp': V('d'), 'ecio': V('d'), 'path-loss': V('u'), 'cell-parameter-id': V('u'),
    'earfcn': V('u'), 'nrarfcn': V('u'), 'rsrp': V('d'), 'rsrq': V('d'), 'sinr': V('d'),
    'serving-cell-type': V('u'),
    'bandwidth': V('u'),
}
SERVING_CELL_TYPES = {'unknown': 0, 'pcell': 1, 'scell': 2, 'pscell': 3, 'sscell': 4}
